import { Hono, type Context } from "hono";
import { z } from "zod";
import { synthError } from "../../shared/errors.ts";
import { bucketSchema, type Bucket } from "../../shared/platform/storage.ts";
import type { DiskBlobStore, DiskStorage } from "./disk-store.ts";
import { objectHeaders } from "./object-response.ts";
import { objectOfUrl, signedDownloadRoute } from "./signed-download-route.ts";
import { storageErrorBody } from "./storage-error-body.ts";

/**
 * The local Storage stand-in: the routes `@supabase/storage-js` calls (protocols 2.1), answered from the
 * disk store with Storage's error bodies (2.4). Object names arrive percent-encoded per segment and are
 * decoded here exactly once.
 */
const listBodySchema = z.object({
  prefix: z.string().default(""),
  limit: z.number().int().min(1).max(10_000).default(100),
  offset: z.number().int().min(0).default(0),
  search: z.string().default(""),
});
const removeBodySchema = z.object({ prefixes: z.array(z.string()).min(1).max(1000) });
const signBodySchema = z.object({ expiresIn: z.number().int().min(1) });

export function storageRoutes(storage: DiskStorage): Hono {
  const app = new Hono();
  const caller = (c: Context): DiskBlobStore => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      throw synthError("UNAUTHORIZED", "Missing or malformed authorization header", {
        storageCode: "AccessDenied",
      });
    }
    return storage.forUser(match[1]);
  };
  const target = (c: Context, base: string) => {
    const { bucket, path } = objectOfUrl(c.req.url, `/storage/v1/object/${base}`);
    return { bucket: knownBucket(bucket), path };
  };
  const json = async <T>(c: Context, schema: z.ZodType<T>): Promise<T> => {
    const parsed = schema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      throw synthError("VALIDATION_ERROR", "Invalid request body", { storageCode: "InvalidRequest" });
    }
    return parsed.data;
  };

  app.route("/", signedDownloadRoute(storage));

  app.get("/storage/v1/object/info/:bucket/*", async (c) => {
    const { bucket, path } = target(c, "info/");
    const object = await caller(c).stat(bucket, path);
    if (object === null) throw notFound();
    const m = object.metadata;
    return c.json({
      id: object.id,
      name: object.info.path,
      bucket_id: bucket,
      size: object.info.size,
      content_type: object.info.contentType,
      cache_control: typeof m.cacheControl === "string" ? m.cacheControl : undefined,
      etag: typeof m.eTag === "string" ? m.eTag : undefined,
      last_modified: object.info.updatedAt,
      created_at: object.createdAt,
      metadata: {},
    });
  });

  app.post("/storage/v1/object/list/:bucket", async (c) => {
    const body = await json(c, listBodySchema);
    const entries = await caller(c).listLevel(knownBucket(c.req.param("bucket")), body.prefix, body);
    return c.json(entries);
  });

  app.post("/storage/v1/object/sign/:bucket/*", async (c) => {
    const { bucket, path } = target(c, "sign/");
    const { expiresIn } = await json(c, signBodySchema);
    const token = await caller(c).signToken(bucket, path, expiresIn);
    // Relative to /storage/v1 and not encoded: storage-js encodeURI()s it after prefixing its own URL.
    return c.json({ signedURL: `/object/sign/${bucket}/${path}?token=${token}` });
  });

  const download = (base: string) => async (c: Context) => {
    const { bucket, path } = target(c, base);
    const { object, bytes } = await caller(c).read(bucket, path);
    const headers = objectHeaders(object, bytes);
    if (object.info.updatedAt !== null)
      headers["last-modified"] = new Date(object.info.updatedAt).toUTCString();
    return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers });
  };
  app.get("/storage/v1/object/authenticated/:bucket/*", download("authenticated/"));
  app.get("/storage/v1/object/:bucket/*", download(""));

  const upload = (upsertAlways: boolean) => async (c: Context) => {
    const { bucket, path } = target(c, "");
    const { bytes, contentType } = await bodyOf(c);
    const object = await caller(c).upload(bucket, path, bytes, {
      contentType,
      upsert: upsertAlways || c.req.header("x-upsert") === "true",
      cacheControl: c.req.header("cache-control"),
    });
    return c.json({ Id: object.id, Key: `${bucket}/${object.path}` });
  };
  app.post("/storage/v1/object/:bucket/*", upload(false));
  app.put("/storage/v1/object/:bucket/*", upload(true));

  app.delete("/storage/v1/object/:bucket", async (c) => {
    const { prefixes } = await json(c, removeBodySchema);
    const bucket = knownBucket(c.req.param("bucket"));
    const removed = await caller(c).remove(bucket, prefixes);
    return c.json(removed.map((name) => ({ bucket_id: bucket, name })));
  });

  app.onError((error, c) => {
    const { httpStatus, body } = storageErrorBody(error);
    return c.json(body, httpStatus);
  });
  return app;
}

function knownBucket(name: string): Bucket {
  const parsed = bucketSchema.safeParse(name);
  if (!parsed.success) throw synthError("NOT_FOUND", "Bucket not found", { storageCode: "NoSuchBucket" });
  return parsed.data;
}

const notFound = () => synthError("NOT_FOUND", "Object not found", { storageCode: "NoSuchKey" });

/** A raw body with its content-type, or storage-js's multipart form (the file under any field name). */
async function bodyOf(c: Context): Promise<{ bytes: Uint8Array; contentType: string | undefined }> {
  const type = c.req.header("content-type");
  if (type?.toLowerCase().startsWith("multipart/form-data")) {
    const form = await c.req.formData();
    let file: Blob | undefined;
    form.forEach((value) => {
      if (file === undefined && typeof value !== "string") file = value;
    });
    if (file !== undefined) {
      return { bytes: new Uint8Array(await file.arrayBuffer()), contentType: file.type || undefined };
    }
    throw synthError("VALIDATION_ERROR", "No content provided", { storageCode: "InvalidRequest" });
  }
  return { bytes: new Uint8Array(await c.req.arrayBuffer()), contentType: type };
}
