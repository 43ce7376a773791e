import { sql } from "kysely";
import { isSynthError, synthError, SynthError } from "../../shared/errors.ts";
import { asServiceRole, asUser, type Db, type JwtClaims, type Tx } from "../../shared/platform/db.ts";
import type { Bucket, ObjectInfo } from "../../shared/platform/storage.ts";

/**
 * The rows of `storage.objects` as Supabase Storage reads and writes them: every check as the caller (so
 * the policies decide), the final write of an upload as the connection's own role.
 */
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

export type Identity = { kind: "user"; claims: JwtClaims | null } | { kind: "service"; scope: string };

export interface ObjectRow {
  id: string;
  name: string;
  version: string | null;
  metadata: Record<string, unknown> | null;
  created_at: Date | string | null;
  updated_at: Date | string | null;
  last_accessed_at: Date | string | null;
}

const ROLLBACK = new Error("storage dry-run: roll back");

export function run<T>(db: Db, identity: Identity, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return identity.kind === "service"
    ? asServiceRole(db, identity.scope, fn)
    : asUser(db, identity.claims, fn);
}

export type Runner = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

export async function checkBucketLimits(
  db: Db,
  bucket: Bucket,
  path: string,
  size: number,
  contentType: string,
) {
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
export async function dryRun(
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
export async function writeRow(
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

export async function findRow(as: Runner, bucket: Bucket, path: string): Promise<ObjectRow | null> {
  const rows = await as((tx) =>
    sql<ObjectRow>`select id, name, version, metadata, created_at, updated_at, last_accessed_at
                     from storage.objects where bucket_id = ${bucket} and name = ${path}`
      .execute(tx)
      .then((r) => r.rows),
  ).catch(rethrowDb(bucket, path));
  return rows[0] ?? null;
}

/** The rows whose names match `pattern` (a LIKE pattern, `\\` escaping), in byte order, at most `limit`. */
export async function findRowsLike(
  as: Runner,
  bucket: Bucket,
  pattern: string,
  limit: number | null,
  what: string,
): Promise<ObjectRow[]> {
  return as((tx) =>
    sql<ObjectRow>`select id, name, version, metadata, created_at, updated_at, last_accessed_at
                     from storage.objects
                    where bucket_id = ${bucket} and name like ${pattern} escape '\\'
                    order by name collate "C" limit ${limit}`
      .execute(tx)
      .then((r) => r.rows),
  ).catch(rethrowDb(bucket, what));
}

export function storedObject(row: ObjectRow): StoredObject {
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

export function oneLevel(rows: ObjectRow[], under: string): ListEntry[] {
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

export const folderPrefix = (prefix: string) => {
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `${trimmed}/`;
};
export const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
export const isoOf = (value: Date | string | null) =>
  value === null ? null : value instanceof Date ? value.toISOString() : new Date(value).toISOString();

export const noSuchKey = (bucket: string, path: string) =>
  synthError("NOT_FOUND", "Object not found", { bucket, path: path.slice(0, 200), storageCode: "NoSuchKey" });
export const conflict = (bucket: string, path: string) =>
  synthError("CONFLICT", "The resource already exists", {
    bucket,
    path: path.slice(0, 200),
    storageCode: "ResourceAlreadyExists",
  });

/** PostgreSQL's answers, as Storage renders them (src/storage/database/errors.ts). */
export function rethrowDb(bucket: string, path: string) {
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
