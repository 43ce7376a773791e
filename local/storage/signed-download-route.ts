import { Hono } from "hono";
import { validationError } from "../../shared/errors.ts";
import type { DiskStorage } from "./disk-store.ts";
import { objectHeaders } from "./object-response.ts";
import { storageErrorBody } from "./storage-error-body.ts";

/**
 * `GET /storage/v1/object/sign/:bucket/*?token=<jwt>[&download=<name>]`: the download behind a signed URL.
 * No credentials: the token is the permission (Kong has no key-auth on storage routes either).
 */
export function signedDownloadRoute(storage: DiskStorage): Hono {
  const app = new Hono();
  app.get("/storage/v1/object/sign/:bucket/*", async (c) => {
    try {
      const { bucket, path } = objectOfUrl(c.req.url, "/storage/v1/object/sign/");
      const { object, bytes } = await storage.readSigned(c.req.query("token") ?? "", bucket, path);
      const download = c.req.query("download");
      const headers = objectHeaders(object, bytes);
      if (download !== undefined) {
        const name = download === "" ? (path.split("/").pop() ?? path) : download;
        headers["content-disposition"] = `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;
      }
      return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers });
    } catch (error) {
      const { httpStatus, body } = storageErrorBody(error);
      return c.json(body, httpStatus);
    }
  });
  return app;
}

/**
 * Bucket and object name of a request URL below `base`, decoded one segment at a time from the raw path:
 * Hono's `c.req.path` is already decoded once, and decoding that again would turn a name containing
 * `%2e%2e` into `..`.
 */
export function objectOfUrl(url: string, base: string): { bucket: string; path: string } {
  const raw = new URL(url).pathname;
  const at = raw.indexOf(base);
  const rest = at < 0 ? "" : raw.slice(at + base.length);
  const [bucket = "", ...segments] = rest.split("/");
  try {
    return { bucket: decodeURIComponent(bucket), path: segments.map((s) => decodeURIComponent(s)).join("/") };
  } catch {
    throw validationError("Invalid key: the path is not valid percent-encoding", {
      storageCode: "InvalidKey",
    });
  }
}
