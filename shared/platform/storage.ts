import { z } from "zod";

/**
 * The file storage port. The API and the runner depend on this interface only; adapters are Supabase
 * Storage over its HTTP API (`storage-http.ts`, the same client for hosted Supabase and the local stand-in)
 * and a local-disk store for the Node-only local platform. Every adapter runs one contract suite.
 *
 * A `BlobStore` is bound to one identity: `forUser(token)` acts with the caller's JWT, so the storage
 * policies on `storage.objects` decide; `asServiceRole(scope)` is the named bypass for the runner and admin
 * paths (grep finds every use).
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
  /** Removes the named objects the identity may delete; answers the paths actually removed. */
  remove(bucket: Bucket, paths: string[]): Promise<string[]>;
  /** An absolute URL that downloads the object without further credentials until it expires. */
  createSignedUrl(bucket: Bucket, path: string, expiresInSeconds: number, options?: SignOptions): Promise<string>;
}

export interface StoragePort {
  forUser(accessToken: string): BlobStore;
  asServiceRole(scope: string): BlobStore;
}
