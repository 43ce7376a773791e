import { z } from "zod";
import { synthError } from "../errors.ts";

/**
 * The file storage port. The API and the runner depend on this interface only; adapters are Supabase
 * Storage over its HTTP API (`storage-http.ts`, the same client for hosted Supabase and the local stand-in)
 * and a local-disk store for the Node-only local platform. Every adapter runs one contract suite.
 *
 * A `BlobStore` is bound to one identity: `forUser(token)` acts with the caller's JWT, so the storage
 * policies on `storage.objects` decide; `asServiceRole(scope)` is the named bypass for the runner and admin
 * paths (grep finds every use).
 *
 * Failures are SynthErrors: VALIDATION_ERROR for a name `objectNameProblem` refuses (checked before anything
 * is sent or written, for the service role too), FORBIDDEN when the policies refuse a write, NOT_FOUND for
 * an object the identity cannot see (Storage does not tell "missing" from "not yours"), CONFLICT for an
 * existing object uploaded without `upsert`, UNAUTHORIZED for an invalid token, STORAGE_ERROR otherwise
 * (`details.retryable` when trying again may help).
 */
export const BUCKETS = ["datasets", "synthetic", "models", "reports"] as const;
export const bucketSchema = z.enum(BUCKETS);
export type Bucket = z.infer<typeof bucketSchema>;

export interface ObjectInfo {
  /** Object name inside the bucket, e.g. `<uid>/people.csv`. */
  path: string;
  size: number;
  contentType: string | null;
  updatedAt: string | null;
}

export interface UploadOptions {
  contentType?: string;
  /** Overwrite an existing object (needs the update policy as well as insert). Default false. */
  upsert?: boolean;
}

export interface SignOptions {
  /** Ask the browser to save the file under this name (`download=` of Supabase's signed URLs). */
  download?: string;
}

export interface BlobStore {
  upload(bucket: Bucket, path: string, body: Uint8Array, options?: UploadOptions): Promise<ObjectInfo>;
  /** The object's bytes; NOT_FOUND when it does not exist or the identity may not read it. */
  download(bucket: Bucket, path: string): Promise<Uint8Array>;
  /** null when the object does not exist or the identity may not read it. */
  info(bucket: Bucket, path: string): Promise<ObjectInfo | null>;
  /** Objects directly and recursively under `prefix` (a folder such as `<uid>/<job>`), at most `limit`. */
  list(bucket: Bucket, prefix: string, limit?: number): Promise<ObjectInfo[]>;
  /** Removes the named objects the identity may delete; answers the paths actually removed (others stay). */
  remove(bucket: Bucket, paths: string[]): Promise<string[]>;
  /** An absolute URL that downloads the object without further credentials until it expires. */
  createSignedUrl(
    bucket: Bucket,
    path: string,
    expiresInSeconds: number,
    options?: SignOptions,
  ): Promise<string>;
}

export interface StoragePort {
  forUser(accessToken: string): BlobStore;
  asServiceRole(scope: string): BlobStore;
}

const utf8 = new TextEncoder();

/**
 * Why `name` cannot be an object name, or null when it can. The rule is the database's
 * `public.is_safe_object_path` (1 to 1024 bytes, segments 1 to 255 bytes, no '.' or '..' segment, no
 * backslash, no control character), checked before any request: a '.' or '..' segment cannot even be sent,
 * since URL parsing resolves it (also when written %2e), and an empty segment is collapsed by storage-js on
 * upload but not on download.
 */
export function objectNameProblem(name: string): string | null {
  const bytes = utf8.encode(name).length;
  if (bytes === 0) return "the name is empty";
  if (bytes > 1024) return "the name is longer than 1024 bytes";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return "the name contains a control character";
  if (name.includes("\\")) return "the name contains a backslash";
  for (const segment of name.split("/")) {
    if (segment === "") return "the name has an empty segment (a leading, trailing or double '/')";
    if (segment === "." || segment === "..") return "the name has a '.' or '..' segment";
    if (utf8.encode(segment).length > 255) return "a segment of the name is longer than 255 bytes";
  }
  return null;
}

export function assertObjectName(name: string): void {
  const problem = objectNameProblem(name);
  if (problem !== null) {
    throw synthError("VALIDATION_ERROR", `Invalid object name: ${problem}`, { path: name.slice(0, 200) });
  }
}

/** The path as a URL path: each segment percent-encoded, so '%', '?', '#' and spaces name themselves. */
export function encodeObjectPath(name: string): string {
  return name.split("/").map(encodeURIComponent).join("/");
}
