import { createHash } from "node:crypto";
import { sql } from "kysely";
import { z } from "zod";
import { isSynthError, synthError, SynthError } from "../../shared/errors.ts";
import {
  asServiceRole,
  asUser,
  jwtClaimsSchema,
  type Db,
  type JwtClaims,
  type Tx,
} from "../../shared/platform/db.ts";
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
import { signDownloadToken, signedDownloadUrl, verifySignedDownload } from "./signed-url.ts";

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

/** One entry of Storage's one-level listing: a file, or a folder (id null). */
export interface ListEntry {
  name: string;
  id: string | null;
  updated_at: string | null;
  created_at: string | null;
  last_accessed_at: string | null;
  metadata: Record<string, unknown> | null;
}

export interface StoredObject {
  id: string;
  info: ObjectInfo;
  metadata: Record<string, unknown>;
  createdAt: string | null;
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

type Identity = { kind: "user"; claims: JwtClaims | null } | { kind: "service"; scope: string };

interface ObjectRow {
  id: string;
  name: string;
  version: string | null;
  metadata: Record<string, unknown> | null;
  created_at: Date | string | null;
  updated_at: Date | string | null;
  last_accessed_at: Date | string | null;
}

const DEFAULT_CONTENT_TYPE = "application/octet-stream";
const ROLLBACK = new Error("storage dry-run: roll back");

export function createDiskStorage(options: DiskStorageOptions): DiskStorage {
  const { root, db, verify, jwtSecret, publicUrl } = diskStorageOptionsSchema.parse(options);
  const files = blobFiles(root);
  const superuser = { db, files };

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
    forUser: (accessToken) => diskBlobStore(superuser, () => identityOf(accessToken), jwtSecret, publicUrl),
    asServiceRole: (scope) =>
      diskBlobStore(superuser, async () => ({ kind: "service", scope }), jwtSecret, publicUrl),
    verifySignedDownload: (token, bucket, path) => verifySignedDownload(jwtSecret, token, bucket, path),
    async readSigned(token, bucket, path) {
      await verifySignedDownload(jwtSecret, token, bucket, path);
      const parsed = bucketSchema.safeParse(bucket);
      if (!parsed.success) throw noSuchKey(bucket, path);
      // The token is the permission: read as the owner, as Storage's getSignedObject does.
      return readObject(superuser, (fn) => db.transaction().execute(fn), parsed.data, path);
    },
  };
}

function run<T>(db: Db, identity: Identity, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return identity.kind === "service"
    ? asServiceRole(db, identity.scope, fn)
    : asUser(db, identity.claims, fn);
}

type Runner = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

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
      const rows = await (
        await asCaller()
      )((tx) =>
        sql<ObjectRow>`select id, name, version, metadata, created_at, updated_at, last_accessed_at
                         from storage.objects
                        where bucket_id = ${b} and name like ${likePrefix(under)} escape '\\'
                        order by name collate "C" limit ${limit}`
          .execute(tx)
          .then((r) => r.rows),
      ).catch(rethrowDb(b, prefix));
      return rows.map((row) => storedObject(row).info);
    },

    async listLevel(bucket, prefix, { limit, offset, search = "" }) {
      const b = bucketSchema.parse(bucket);
      const under = folderPrefix(prefix);
      const rows = await (
        await asCaller()
      )((tx) =>
        sql<ObjectRow>`select id, name, version, metadata, created_at, updated_at, last_accessed_at
                         from storage.objects
                        where bucket_id = ${b} and name like ${likePrefix(under + search)} escape '\\'
                        order by name collate "C"`
          .execute(tx)
          .then((r) => r.rows),
      ).catch(rethrowDb(b, prefix));
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

async function checkBucketLimits(db: Db, bucket: Bucket, path: string, size: number, contentType: string) {
  const rows = await sql<{ file_size_limit: string | number | null; allowed_mime_types: string[] | null }>`
    select file_size_limit, allowed_mime_types from storage.buckets where id = ${bucket}`
    .execute(db)
    .then((r) => r.rows);
  if (rows.length === 0) {
    throw synthError("NOT_FOUND", "Bucket not found", { bucket, storageCode: "NoSuchBucket" });
  }
  const { file_size_limit: limit, allowed_mime_types: allowed } = rows[0];
  if (limit !== null && size > Number(limit)) {
    throw synthError("PAYLOAD_TOO_LARGE", "The object exceeded the maximum allowed size", {
      bucket,
      path,
      limit: Number(limit),
      storageCode: "EntityTooLarge",
    });
  }
  const mime = contentType.split(";")[0].trim().toLowerCase();
  const accepted = (pattern: string) =>
    pattern.endsWith("/*")
      ? mime.startsWith(pattern.slice(0, -1).toLowerCase())
      : pattern.toLowerCase() === mime;
  if (allowed !== null && allowed.length > 0 && !allowed.some(accepted)) {
    throw synthError("UNSUPPORTED_FORMAT", `mime type ${mime} is not supported`, {
      bucket,
      path,
      storageCode: "InvalidMimeType",
    });
  }
}

/** Storage's canUpload: the caller's own insert (or upsert), always rolled back; the policies answer. */
async function dryRun(
  db: Db,
  who: Identity,
  bucket: Bucket,
  path: string,
  ownerId: string | null,
  metadata: Record<string, unknown>,
  upsert: boolean,
): Promise<void> {
  const insert = sql`insert into storage.objects (bucket_id, name, owner, owner_id, version, metadata)
                     values (${bucket}, ${path}, ${ownerId}, ${ownerId}, 'dry-run', ${JSON.stringify(metadata)}::text::jsonb)`;
  const statement = upsert
    ? sql`${insert} on conflict (bucket_id, name) do update
            set version = excluded.version, metadata = excluded.metadata, owner = excluded.owner,
                owner_id = excluded.owner_id, updated_at = now()`
    : insert;
  try {
    await run(db, who, async (tx) => {
      await statement.execute(tx);
      throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK) rethrowDb(bucket, path)(error);
  }
}

/** The real row, written as the table's owner once the dry-run passed; answers its id and the version it replaced. */
async function writeRow(
  db: Db,
  bucket: Bucket,
  path: string,
  ownerId: string | null,
  version: string,
  metadata: Record<string, unknown>,
  upsert: boolean,
): Promise<{ id: string; replaced: string | null }> {
  return db
    .transaction()
    .execute(async (tx) => {
      const row = sql`(${bucket}, ${path}, ${ownerId}, ${ownerId}, ${version}, ${JSON.stringify(metadata)}::text::jsonb)`;
      // Read committed: a racing insert that wins is seen by the next statement, so one more round settles it.
      for (let round = 0; round < 2; round += 1) {
        const previous = await sql<{ version: string | null }>`
          select version from storage.objects where bucket_id = ${bucket} and name = ${path} for update`
          .execute(tx)
          .then((r) => r.rows);
        if (previous.length > 0) {
          if (!upsert) throw conflict(bucket, path);
          const updated = await sql<{ id: string }>`
            update storage.objects
               set version = ${version}, metadata = ${JSON.stringify(metadata)}::text::jsonb, owner = ${ownerId},
                   owner_id = ${ownerId}, updated_at = now(), last_accessed_at = now()
             where bucket_id = ${bucket} and name = ${path}
            returning id`
            .execute(tx)
            .then((r) => r.rows);
          return { id: updated[0].id, replaced: previous[0].version };
        }
        const inserted = await sql<{ id: string }>`
          insert into storage.objects (bucket_id, name, owner, owner_id, version, metadata) values ${row}
          on conflict (bucket_id, name) do nothing
          returning id`
          .execute(tx)
          .then((r) => r.rows);
        if (inserted.length > 0) return { id: inserted[0].id, replaced: null };
        if (!upsert) throw conflict(bucket, path);
      }
      throw synthError("STORAGE_ERROR", "The object kept changing while it was written", {
        bucket,
        path: path.slice(0, 200),
        retryable: true,
      });
    })
    .catch(rethrowDb(bucket, path));
}

async function findRow(as: Runner, bucket: Bucket, path: string): Promise<ObjectRow | null> {
  const rows = await as((tx) =>
    sql<ObjectRow>`select id, name, version, metadata, created_at, updated_at, last_accessed_at
                     from storage.objects where bucket_id = ${bucket} and name = ${path}`
      .execute(tx)
      .then((r) => r.rows),
  ).catch(rethrowDb(bucket, path));
  return rows[0] ?? null;
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

function storedObject(row: ObjectRow): StoredObject {
  const metadata = row.metadata ?? {};
  const updated = row.updated_at ?? null;
  return {
    id: row.id,
    metadata,
    createdAt: isoOf(row.created_at),
    info: {
      path: row.name,
      size: typeof metadata.size === "number" ? metadata.size : 0,
      contentType: typeof metadata.mimetype === "string" ? metadata.mimetype : null,
      updatedAt: isoOf(updated),
    },
  };
}

function oneLevel(rows: ObjectRow[], under: string): ListEntry[] {
  const entries: ListEntry[] = [];
  const folders = new Set<string>();
  for (const row of rows) {
    const rest = row.name.slice(under.length);
    const slash = rest.indexOf("/");
    if (slash >= 0) {
      const folder = rest.slice(0, slash);
      if (!folders.has(folder)) {
        folders.add(folder);
        entries.push({
          name: folder,
          id: null,
          updated_at: null,
          created_at: null,
          last_accessed_at: null,
          metadata: null,
        });
      }
    } else {
      entries.push({
        name: rest,
        id: row.id,
        updated_at: isoOf(row.updated_at),
        created_at: isoOf(row.created_at),
        last_accessed_at: isoOf(row.last_accessed_at),
        metadata: row.metadata,
      });
    }
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id === null ? -1 : 1));
}

const folderPrefix = (prefix: string) => {
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `${trimmed}/`;
};
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const isoOf = (value: Date | string | null) =>
  value === null ? null : value instanceof Date ? value.toISOString() : new Date(value).toISOString();

const noSuchKey = (bucket: string, path: string) =>
  synthError("NOT_FOUND", "Object not found", { bucket, path: path.slice(0, 200), storageCode: "NoSuchKey" });
const conflict = (bucket: string, path: string) =>
  synthError("CONFLICT", "The resource already exists", {
    bucket,
    path: path.slice(0, 200),
    storageCode: "ResourceAlreadyExists",
  });

/** PostgreSQL's answers, as Storage renders them (src/storage/database/errors.ts). */
function rethrowDb(bucket: string, path: string) {
  return (error: unknown): never => {
    if (error instanceof SynthError || isSynthError(error)) throw error;
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    const where = { bucket, path: path.slice(0, 200) };
    if (code === "42501") {
      throw synthError(
        "FORBIDDEN",
        "new row violates row-level security policy",
        { ...where, storageCode: "AccessDenied" },
        error,
      );
    }
    if (code === "23505") throw conflict(bucket, path);
    if (code === "23503")
      throw synthError("NOT_FOUND", "Bucket not found", { ...where, storageCode: "NoSuchBucket" }, error);
    throw synthError(
      "STORAGE_ERROR",
      `Storage database error: ${message}`,
      { ...where, retryable: false },
      error,
    );
  };
}
