import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { createDiskStorage } from "../../local/storage/disk-store.ts";
import { signedDownloadRoute } from "../../local/storage/signed-download-route.ts";
import { runStorageContract } from "./storage-contract.ts";
import { TEST_JWT_SECRET, verifyToken } from "./tokens.ts";

runStorageContract("local disk store over PostgreSQL", async (fx) => {
  const parent = await mkdtemp(join(tmpdir(), "synth-storage-"));
  const root = join(parent, "blobs");
  await mkdir(root);
  const storage = createDiskStorage({
    root,
    db: fx.db,
    verify: verifyToken,
    jwtSecret: TEST_JWT_SECRET,
    publicUrl: "http://storage.test",
  });
  const app = new Hono().route("/", signedDownloadRoute(storage));
  return {
    storage,
    root,
    fetchSigned: async (url) => app.fetch(new Request(url)),
    close: () => rm(parent, { recursive: true, force: true }),
  };
});
