import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, readFile, rename, rmdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Bucket } from "../../shared/platform/storage.ts";

/**
 * Where the local store keeps object bytes: `<root>/<bucket>/<sha256(name)>/<version>`. An object key never
 * becomes a path (the hash cannot contain a separator or '..', whatever the key), and every upload writes a
 * new version file, so replacing an object never rewrites bytes a reader may be streaming and a refused
 * upload never touches the bytes already stored.
 */
export interface BlobFiles {
  /** Writes the bytes under a new version (temp file, then rename: never visible half-written). */
  write(bucket: Bucket, name: string, bytes: Uint8Array): Promise<string>;
  /** The bytes, or null when that version is not on disk. */
  read(bucket: Bucket, name: string, version: string | null): Promise<Uint8Array | null>;
  /** Removes one version; missing files are fine (the row was the truth). */
  remove(bucket: Bucket, name: string, version: string | null): Promise<void>;
}

const VERSION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function blobFiles(root: string): BlobFiles {
  const folderOf = (bucket: Bucket, name: string) =>
    join(root, bucket, createHash("sha256").update(name, "utf8").digest("hex"));
  // Versions come back from rows anyone with SQL access could have written: only our own shape is a file.
  const fileOf = (bucket: Bucket, name: string, version: string | null) =>
    version !== null && VERSION.test(version) ? join(folderOf(bucket, name), version) : null;

  return {
    async write(bucket, name, bytes) {
      const version = randomUUID();
      const tmpDir = join(root, ".tmp");
      await mkdir(tmpDir, { recursive: true });
      const tmp = join(tmpDir, `${version}.part`);
      const handle = await open(tmp, "wx");
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      const folder = folderOf(bucket, name);
      // A remove of the last other version may rmdir the folder between our mkdir and rename: once more.
      for (let attempt = 0; ; attempt += 1) {
        try {
          await mkdir(folder, { recursive: true });
          await rename(tmp, join(folder, version));
          return version;
        } catch (error) {
          if (attempt === 0 && (error as NodeJS.ErrnoException).code === "ENOENT") continue;
          await unlink(tmp).catch(() => undefined);
          throw error;
        }
      }
    },

    async read(bucket, name, version) {
      const file = fileOf(bucket, name, version);
      if (file === null) return null;
      try {
        return new Uint8Array(await readFile(file));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error;
      }
    },

    async remove(bucket, name, version) {
      const file = fileOf(bucket, name, version);
      if (file === null) return;
      await unlink(file).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
      // Another version may be landing in the same folder right now: then it is not empty and stays.
      await rmdir(folderOf(bucket, name)).catch(() => undefined);
    },
  };
}
