import { Hono } from "hono";
import * as jose from "jose";
import { createDiskStorage, type DiskStorage } from "../../local/storage/disk-store.ts";
import { signedDownloadRoute } from "../../local/storage/signed-download-route.ts";
import { createDb, type Db } from "../../shared/platform/db.ts";
import type { ApiConfig } from "../../functions/config.ts";
import { TEST_JWT_SECRET } from "./harness.ts";

/**
 * The local disk store as the harness's storage (the real adapter over storage.objects and its policies),
 * plus the signed-download route so a test can follow a signed URL to the bytes.
 */
export interface DiskStorageFixture {
  factory: (config: ApiConfig, dataDir: string) => DiskStorage;
  storage(): DiskStorage;
  fetchSigned(url: string): Promise<Response>;
  close(): Promise<void>;
}

export function diskStorageFixture(): DiskStorageFixture {
  let storage: DiskStorage | null = null;
  let db: Db | null = null;
  const key = new TextEncoder().encode(TEST_JWT_SECRET);
  return {
    factory(config, dataDir) {
      db = createDb({ url: config.dbUrl, maxConnections: 2 });
      storage = createDiskStorage({
        root: `${dataDir}/blobs`,
        db,
        verify: async (token) =>
          (await jose.jwtVerify(token, key, { algorithms: ["HS256"] })).payload as Record<string, unknown>,
        jwtSecret: TEST_JWT_SECRET,
        publicUrl: config.supabaseUrl,
      });
      return storage;
    },
    storage() {
      if (storage === null) throw new Error("the harness has not built the storage yet");
      return storage;
    },
    async fetchSigned(url) {
      return new Hono().route("/", signedDownloadRoute(this.storage())).fetch(new Request(url));
    },
    async close() {
      await db?.destroy();
    },
  };
}
