import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDiskStorage } from "../../local/storage/disk-store.ts";
import { storageRoutes } from "../../local/storage/storage-routes.ts";
import { createHttpStorage } from "../../shared/platform/storage-http.ts";
import { runStorageContract } from "./storage-contract.ts";
import { apiKey, TEST_JWT_SECRET, verifyToken } from "./tokens.ts";

/**
 * The HTTP adapter through storage-js against the local Storage routes (wrapping the disk store), called
 * in-process: every request is a real Request/Response through the Hono app, with no port to bind.
 */
runStorageContract("Supabase Storage over HTTP (storage-js → local Storage routes)", async (fx) => {
  const parent = await mkdtemp(join(tmpdir(), "synth-storage-http-"));
  const root = join(parent, "blobs");
  await mkdir(root);
  const disk = createDiskStorage({
    root,
    db: fx.db,
    verify: verifyToken,
    jwtSecret: TEST_JWT_SECRET,
    publicUrl: "http://storage.test",
  });
  const app = storageRoutes(disk);
  const fetchApp: typeof fetch = async (input, init) => app.fetch(new Request(input, init));
  const storage = createHttpStorage({
    url: "http://storage.test",
    anonKey: await apiKey("anon"),
    serviceRoleKey: await apiKey("service_role"),
    fetch: fetchApp,
  });
  return {
    storage,
    root,
    fetchSigned: (url) => fetchApp(url),
    close: () => rm(parent, { recursive: true, force: true }),
  };
});
