import { createHash } from "node:crypto";
import { sql } from "kysely";
import { z } from "zod";
import { synthError } from "../../shared/errors.ts";
import { jwtClaimsSchema, type Db } from "../../shared/platform/db.ts";
import {
  assertObjectName,
  bucketSchema,
  type BlobStore,
  type Bucket,
  type ObjectInfo,
  type StoragePort,
  type UploadOptions,
} from "../../shared/platform/storage.ts";
import { blobFiles, type BlobFiles } from "./blob-files.ts";
import {
  checkBucketLimits,
  dryRun,
  findRow,
  findRowsLike,
  folderPrefix,
  likePrefix,
  noSuchKey,
  oneLevel,
  rethrowDb,
  run,
  storedObject,
  writeRow,
  type Identity,
  type ListEntry,
  type Runner,
  type StoredObject,
} from "./object-rows.ts";
import { signDownloadToken, signedDownloadUrl, verifySignedDownload } from "./signed-url.ts";

export type { ListEntry, StoredObject } from "./object-rows.ts";

/**
 * Supabase Storage's behaviour over our own PostgreSQL, with the bytes on local disk (protocols 2.2): the
 * rows of `storage.objects` are the truth and the storage policies decide, because every check runs as the
 * caller; only the final write of a row, after the caller's dry-run passed, runs as the connection's own
 * role (the owner of storage.objects), as Storage's `asSuperUser()` does.
 */
export const diskStorageOptionsSchema = z.object({
  /** Directory for the bytes; created on first write. */
  root: z.string().min(1),
  db: z.custom<Db>((value) => typeof value === "object" && value !== null),
  /** Verifies an access token and answers its claims (jose with the project's JWT secret or JWKS). */
  verify: z.custom<(token: string) => Promise<Record<string, unknown>>>(
    (value) => typeof value === "function",
  ),
  /** The key signed URLs are signed with (Supabase: the project's JWT secret). */
  jwtSecret: z.string().min(32),
  /** Base of the signed URLs handed out, e.g. `http://127.0.0.1:54321`. */
  publicUrl: z.string().url(),
});
export type DiskStorageOptions = z.input<typeof diskStorageOptionsSchema>;

export interface DiskUploadOptions extends UploadOptions {
  /** Stored in the metadata and answered on download, as Storage does. Default `max-age=3600`. */
  cacheControl?: string;
}

export interface DiskBlobStore extends BlobStore {
  /** As BlobStore's, plus the row's id (Storage answers it as `Id`). */
  upload(
    bucket: Bucket,
    path: string,
    body: Uint8Array,
    options?: DiskUploadOptions,
  ): Promise<ObjectInfo & { id: string }>;
  /** The row as the identity sees it (SELECT policy), or null. */
  stat(bucket: Bucket, path: string): Promise<StoredObject | null>;
  /** The object and its row, for the HTTP download route (content-type, etag, cache-control). */
  read(bucket: Bucket, path: string): Promise<{ object: StoredObject; bytes: Uint8Array }>;
  /** Storage's own list: one level under `prefix`, folders as entries with id null. */
  listLevel(
    bucket: Bucket,
    prefix: string,
    options: { limit: number; offset: number; search?: string },
  ): Promise<ListEntry[]>;
  /** A download token for the object, when the identity may read it (Storage signs as the caller). */
  signToken(bucket: Bucket, path: string, expiresInSeconds: number): Promise<string>;
}

export interface DiskStorage extends StoragePort {
  forUser(accessToken: string): DiskBlobStore;
  asServiceRole(scope: string): DiskBlobStore;
  /** Checks a signed-URL token (signature, scope, url, expiry in that order). */
  verifySignedDownload(token: string, bucket: string, path: string): Promise<void>;
  /** The bytes behind a signed URL: no identity, the token is the credential. */
  readSigned(
    token: string,
    bucket: string,
    path: string,
  ): Promise<{ object: StoredObject; bytes: Uint8Array }>;
}

const DEFAULT_CONTENT_TYPE = "application/octet-stream";
export function createDiskStorage(options: DiskStorageOptions): DiskStorage {
  const { root, db, verify, jwtSecret, publicUrl } = diskStorageOptionsSchema.parse(options);
  const files = blobFiles(root);
  const owner = { db, files };

  const identityOf = async (token: string): Promise<Identity> => {
    let payload: Record<string, unknown>;
    try {
      payload = await verify(token);
    } catch (error) {
      throw synthError(
        "UNAUTHORIZED",
        "The access token is invalid or expired",
        { storageCode: "AccessDenied" },
        error,
      );
    }
    const role = typeof payload.role === "string" ? payload.role : "anon";
    // A service_role key as the bearer is how the HTTP adapter's service role reaches this store.
    if (role === "service_role") return { kind: "service", scope: "storage: service_role bearer" };
    if (role === "anon") return { kind: "user", claims: null };
    const claims = jwtClaimsSchema.safeParse(payload);
    if (!claims.success) {
      throw synthError("UNAUTHORIZED", "The access token carries no usable claims", {
        storageCode: "AccessDenied",
      });
    }
    return { kind: "user", claims: claims.data };
  };

  return {
    forUser: (accessToken) => diskBlobStore(owner, () => identityOf(accessToken), jwtSecret, publicUrl),
    asServiceRole: (scope) =>
      diskBlobStore(owner, async () => ({ kind: "service", scope }), jwtSecret, publicUrl),
    verifySignedDownload: (token, bucket, path) => verifySignedDownload(jwtSecret, token, bucket, path),
    async readSigned(token, bucket, path) {
      await verifySignedDownload(jwtSecret, token, bucket, path);
      const parsed = bucketSchema.safeParse(bucket);
      if (!parsed.success) throw noSuchKey(bucket, path);
      // The token is the permission: read as the owner, as Storage's getSignedObject does.
      return readObject(owner, (fn) => db.transaction().execute(fn), parsed.data, path);
    },
  };
}

function diskBlobStore(
  owner: { db: Db; files: BlobFiles },
  identity: () => Promise<Identity>,
  jwtSecret: string,
  publicUrl: string,
): DiskBlobStore {
  const { db, files } = owner;
  const asCaller = async (): Promise<Runner> => {
    const who = await identity();
    return (fn) => run(db, who, fn);
  };
  const checked = (bucket: Bucket, path: string): Bucket => {
    assertObjectName(path);
    return bucketSchema.parse(bucket);
  };

  const store: DiskBlobStore = {
    async upload(bucket, path, body, options = {}) {
      const b = checked(bucket, path);
      const who = await identity();
      const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
      await checkBucketLimits(db, b, path, body.byteLength, contentType);
      const lastModified = new Date().toISOString();
      const metadata = {
        eTag: `"${createHash("md5").update(body).digest("hex")}"`,
        size: body.byteLength,
        mimetype: contentType,
        cacheControl: options.cacheControl ?? "max-age=3600",
        lastModified,
        contentLength: body.byteLength,
      };
      const ownerId = who.kind === "user" ? (who.claims?.sub ?? null) : null;
      const upsert = options.upsert ?? false;
      await dryRun(db, who, b, path, ownerId, metadata, upsert);
      const version = await files.write(b, path, body);
      let written: { id: string; replaced: string | null };
      try {
        written = await writeRow(db, b, path, ownerId, version, metadata, upsert);
      } catch (error) {
        await files.remove(b, path, version);
        throw error;
      }
      if (written.replaced !== null) await files.remove(b, path, written.replaced);
      return { id: written.id, path, size: body.byteLength, contentType, updatedAt: lastModified };
    },

    async download(bucket, path) {
      return (await store.read(bucket, path)).bytes;
    },

    async read(bucket, path) {
      const b = checked(bucket, path);
      return readObject(owner, await asCaller(), b, path);
    },

    async stat(bucket, path) {
      const b = checked(bucket, path);
      const row = await findRow(await asCaller(), b, path);
      return row === null ? null : storedObject(row);
    },

    async info(bucket, path) {
      return (await store.stat(bucket, path))?.info ?? null;
    },

    async list(bucket, prefix, limit = 1000) {
      const b = bucketSchema.parse(bucket);
      limit = Math.max(0, Math.floor(limit));
      const under = folderPrefix(prefix);
      const rows = await findRowsLike(await asCaller(), b, likePrefix(under), limit, prefix);
      return rows.map((row) => storedObject(row).info);
    },

    async listLevel(bucket, prefix, { limit, offset, search = "" }) {
      const b = bucketSchema.parse(bucket);
      const under = folderPrefix(prefix);
      const rows = await findRowsLike(await asCaller(), b, likePrefix(under + search), null, prefix);
      return oneLevel(rows, under).slice(offset, offset + limit);
    },

    async remove(bucket, paths) {
      const b = bucketSchema.parse(bucket);
      paths.forEach(assertObjectName);
      if (paths.length === 0) return [];
      const deleted = await (
        await asCaller()
      )(async (tx) => {
        // Supabase blocks direct deletes from storage tables unless the Storage API says it is the caller.
        await sql`select set_config('storage.allow_delete_query', 'true', true)`.execute(tx);
        const names = sql.join(paths.map((p) => sql`${p}`));
        return sql<{ name: string; version: string | null }>`
          delete from storage.objects where bucket_id = ${b} and name in (${names}) returning name, version`
          .execute(tx)
          .then((r) => r.rows);
      }).catch(rethrowDb(b, paths[0]));
      await Promise.all(deleted.map((row) => files.remove(b, row.name, row.version)));
      return deleted.map((row) => row.name);
    },

    async signToken(bucket, path, expiresInSeconds) {
      const b = checked(bucket, path);
      if ((await store.stat(b, path)) === null) throw noSuchKey(b, path);
      return signDownloadToken(jwtSecret, b, path, expiresInSeconds);
    },

    async createSignedUrl(bucket, path, expiresInSeconds, options = {}) {
      const token = await store.signToken(bucket, path, expiresInSeconds);
      return signedDownloadUrl(publicUrl, bucket, path, token, options.download);
    },
  };
  return store;
}

async function readObject(
  owner: { files: BlobFiles },
  as: Runner,
  bucket: Bucket,
  path: string,
): Promise<{ object: StoredObject; bytes: Uint8Array }> {
  // An overwrite between reading the row and opening its version file removes that file: read again once.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const row = await findRow(as, bucket, path);
    if (row === null) break;
    const bytes = await owner.files.read(bucket, path, row.version);
    if (bytes !== null) return { object: storedObject(row), bytes };
  }
  throw noSuchKey(bucket, path);
}
