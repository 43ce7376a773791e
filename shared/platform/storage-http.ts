import { StorageClient, isStorageError, StorageApiError } from "@supabase/storage-js";
import { z } from "zod";
import { synthError, type SynthError } from "../errors.ts";
import {
  assertObjectName,
  bucketSchema,
  encodeObjectPath,
  type BlobStore,
  type Bucket,
  type ObjectInfo,
  type StoragePort,
} from "./storage.ts";

/**
 * Supabase Storage over its HTTP API with `@supabase/storage-js`: the same client for hosted Supabase and
 * for the local stand-in (`local/storage/storage-routes.ts`).
 */
export const httpStorageOptionsSchema = z.object({
  /** The project URL (`SUPABASE_URL`), without `/storage/v1`. */
  url: z.string().url(),
  anonKey: z.string().min(1),
  serviceRoleKey: z.string().min(1),
  fetch: z.custom<typeof fetch>((value) => typeof value === "function").optional(),
});
export type HttpStorageOptions = z.input<typeof httpStorageOptionsSchema>;

export function createHttpStorage(options: HttpStorageOptions): StoragePort {
  const { url, anonKey, serviceRoleKey, fetch } = httpStorageOptionsSchema.parse(options);
  const endpoint = `${url.replace(/\/+$/, "")}/storage/v1`;
  const store = (apikey: string, bearer: string): BlobStore =>
    httpBlobStore(new StorageClient(endpoint, { apikey, Authorization: `Bearer ${bearer}` }, fetch));
  return {
    forUser: (accessToken) => store(anonKey, accessToken),
    // The scope names the bypass for grep and review; Storage has no place for it, and it is logged nowhere.
    asServiceRole: () => store(serviceRoleKey, serviceRoleKey),
  };
}

/** What Storage puts in `metadata` of a listed file. */
const fileMetadataSchema = z.object({
  size: z.number().optional(),
  mimetype: z.string().optional(),
  lastModified: z.string().optional(),
});
const listEntrySchema = z.object({
  name: z.string(),
  id: z.string().nullable(),
  updated_at: z.string().nullable().optional(),
  metadata: fileMetadataSchema.nullable().optional(),
});
const infoSchema = z.object({
  name: z.string(),
  size: z.number().optional(),
  contentType: z.string().optional(),
  lastModified: z.string().optional(),
  updatedAt: z.string().optional(),
});

const LIST_PAGE = 1000;
const DEFAULT_CONTENT_TYPE = "application/octet-stream";

function httpBlobStore(client: StorageClient): BlobStore {
  const from = (bucket: Bucket) => client.from(bucketSchema.parse(bucket));
  return {
    async upload(bucket, path, body, options = {}) {
      assertObjectName(path);
      const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
      const { error } = await from(bucket).upload(encodeObjectPath(path), body, {
        contentType,
        upsert: options.upsert ?? false,
      });
      if (error) throw toSynthError(error, bucket, path);
      return { path, size: body.byteLength, contentType, updatedAt: null };
    },

    async download(bucket, path) {
      assertObjectName(path);
      const { data, error } = await from(bucket).download(encodeObjectPath(path));
      if (error) throw toSynthError(error, bucket, path);
      return new Uint8Array(await data.arrayBuffer());
    },

    async info(bucket, path) {
      assertObjectName(path);
      const { data, error } = await from(bucket).info(encodeObjectPath(path));
      if (error) {
        const mapped = toSynthError(error, bucket, path);
        if (mapped.code === "NOT_FOUND") return null;
        throw mapped;
      }
      const info = infoSchema.parse(data);
      return {
        path,
        size: info.size ?? 0,
        contentType: info.contentType ?? null,
        updatedAt: info.lastModified ?? info.updatedAt ?? null,
      };
    },

    async list(bucket, prefix, limit = 1000) {
      const found: ObjectInfo[] = [];
      // Storage lists one level (folders come back with id null), so walk the folders breadth first.
      const folders = [prefix.replace(/^\/+|\/+$/g, "")];
      while (folders.length > 0 && found.length < limit) {
        const folder = folders.shift() as string;
        for (let offset = 0; found.length < limit; offset += LIST_PAGE) {
          const { data, error } = await from(bucket).list(folder, { limit: LIST_PAGE, offset });
          if (error) throw toSynthError(error, bucket, folder);
          const entries = z.array(listEntrySchema).parse(data);
          for (const entry of entries) {
            const path = folder === "" ? entry.name : `${folder}/${entry.name}`;
            if (entry.id === null) folders.push(path);
            else if (found.length < limit) found.push(listedInfo(path, entry));
          }
          if (entries.length < LIST_PAGE) break;
        }
      }
      return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },

    async remove(bucket, paths) {
      paths.forEach(assertObjectName);
      if (paths.length === 0) return [];
      // Names travel in the JSON body here, not in the URL: no encoding.
      const { data, error } = await from(bucket).remove(paths);
      if (error) throw toSynthError(error, bucket, paths[0]);
      return z
        .array(z.object({ name: z.string() }).passthrough())
        .parse(data)
        .map((o) => o.name);
    },

    async createSignedUrl(bucket, path, expiresInSeconds, options = {}) {
      assertObjectName(path);
      const { data, error } = await from(bucket).createSignedUrl(encodeObjectPath(path), expiresInSeconds, {
        ...(options.download === undefined ? {} : { download: options.download }),
      });
      if (error) throw toSynthError(error, bucket, path);
      return data.signedUrl;
    },
  };
}

function listedInfo(path: string, entry: z.infer<typeof listEntrySchema>): ObjectInfo {
  return {
    path,
    size: entry.metadata?.size ?? 0,
    contentType: entry.metadata?.mimetype ?? null,
    updatedAt: entry.updated_at ?? entry.metadata?.lastModified ?? null,
  };
}

/**
 * Storage answers HTTP 400 for nearly every failure and puts the real status in the body's `statusCode`
 * (storage-js keeps it as `error.statusCode`, the HTTP status as `error.status`), so map on that and on the
 * body's `code`.
 */
export function toSynthError(error: unknown, bucket: string, path: string): SynthError {
  const where = { bucket, path: path.slice(0, 200) };
  if (!isStorageError(error)) {
    return synthError("STORAGE_ERROR", "Storage could not be reached", { ...where, retryable: true }, error);
  }
  if (!(error instanceof StorageApiError)) {
    // StorageUnknownError: fetch itself failed (network, DNS, reset), so trying again may help.
    return synthError(
      "STORAGE_ERROR",
      `Storage could not be reached: ${error.message}`,
      { ...where, retryable: true },
      error,
    );
  }
  const status = Number.parseInt(error.statusCode, 10);
  const details = {
    ...where,
    storageCode: error.code ?? null,
    status: Number.isFinite(status) ? status : error.status,
  };
  switch (error.code) {
    case "NoSuchKey":
    case "NoSuchBucket":
      return synthError("NOT_FOUND", "The object was not found", details, error);
    case "AccessDenied":
      return synthError("FORBIDDEN", error.message, details, error);
    case "ResourceAlreadyExists":
    case "KeyAlreadyExists":
      return synthError("CONFLICT", "An object with this name already exists", details, error);
    case "InvalidJWT":
    case "ExpiredToken":
      return synthError("UNAUTHORIZED", error.message, details, error);
    case "InvalidKey":
      return synthError("VALIDATION_ERROR", error.message, details, error);
    case "EntityTooLarge":
      return synthError("PAYLOAD_TOO_LARGE", error.message, details, error);
    case "InvalidMimeType":
      return synthError("UNSUPPORTED_FORMAT", error.message, details, error);
  }
  switch (status) {
    case 404:
      return synthError("NOT_FOUND", "The object was not found", details, error);
    case 403:
      return synthError("FORBIDDEN", error.message, details, error);
    case 409:
      return synthError("CONFLICT", error.message, details, error);
    case 401:
      return synthError("UNAUTHORIZED", error.message, details, error);
  }
  const retryable = (Number.isFinite(status) && status >= 500) || error.status >= 500;
  return synthError("STORAGE_ERROR", error.message, { ...details, retryable }, error);
}
