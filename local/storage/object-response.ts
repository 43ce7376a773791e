import type { StoredObject } from "./object-rows.ts";

/** The headers Storage answers an object's bytes with: type, length, and the etag and cache-control stored with it. */
export function objectHeaders(object: StoredObject, bytes: Uint8Array): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": object.info.contentType ?? "application/octet-stream",
    "content-length": String(bytes.byteLength),
  };
  if (typeof object.metadata.eTag === "string") headers.etag = object.metadata.eTag;
  if (typeof object.metadata.cacheControl === "string")
    headers["cache-control"] = object.metadata.cacheControl;
  return headers;
}
