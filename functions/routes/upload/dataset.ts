import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { MEDIA_TYPES } from "../../../shared/data/formats.ts";
import { synthError } from "../../../shared/errors.ts";
import { ok, requireUser, takeRateLimit } from "../../context.ts";
import type { AppDeps, ApiApp, ApiEnv } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import {
  authErrors,
  conflictError,
  rateLimitedError,
  tooLargeError,
  unprocessableError,
  validationErrors,
} from "../responses.ts";
import { datasetSchema } from "./dataset-shape.ts";
import { sanitiseFileName } from "./object-path.ts";
import { chooseFormat, registerDataset } from "./registration.ts";

export const uploadFormSchema = z
  .object({
    file: z
      .custom<File>((value) => value instanceof File, { message: "a file part named 'file' is required" })
      .openapi({
        type: "string",
        format: "binary",
        description: "The table: CSV, JSON, JSON Lines, xlsx or Parquet",
      }),
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
  })
  .openapi("UploadDataset");

export const route = createRoute({
  method: "post",
  path: "/upload/dataset",
  tags: ["upload"],
  summary:
    "Upload a small table (multipart) into your folder of the datasets bucket and register it; larger files go through supabase-js and /upload/register",
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { "multipart/form-data": { schema: uploadFormSchema } } } },
  responses: {
    201: {
      description: "The dataset, validated and profiled when it is small enough ('ready' or 'invalid')",
      content: { "application/json": { schema: envelopeOf(datasetSchema) } },
    },
    ...validationErrors,
    ...authErrors,
    ...conflictError,
    ...tooLargeError,
    ...unprocessableError,
    ...rateLimitedError,
  },
});

/** Counted before the body is parsed, so a caller over the limit does not cost us reading their file. */
const uploadRateLimit =
  (deps: AppDeps): MiddlewareHandler<ApiEnv> =>
  async (c, next) => {
    await takeRateLimit(deps, requireUser(c), "uploads", deps.config.rateLimits.uploads);
    await next();
  };

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi({ ...route, middleware: [uploadRateLimit(deps)] }, async (c) => {
    const user = requireUser(c);
    const form = c.req.valid("form");
    const limit = deps.config.limits.uploadBytes;
    if (form.file.size > limit) {
      throw synthError("FILE_TOO_LARGE", `the file is larger than the upload limit of ${limit} bytes`, {
        bytes: form.file.size,
        limitBytes: limit,
        hint: "upload larger files to the datasets bucket with supabase-js, then POST /upload/register",
      });
    }
    const bytes = new Uint8Array(await form.file.arrayBuffer());
    // Browsers send a base name, other clients may not: the name is the last path segment.
    const fileName = form.file.name.split(/[/\\]/).pop() || "upload";
    // Refused before anything is written when the bytes are no table format at all.
    const format = chooseFormat(bytes, fileName);
    const path = `${user.id}/${crypto.randomUUID()}-${sanitiseFileName(fileName)}`;
    const store = deps.storage.forUser(c.get("accessToken")!);
    await store.upload("datasets", path, bytes, { contentType: MEDIA_TYPES[format] });
    try {
      const { dataset, message } = await registerDataset(
        deps,
        user,
        c.get("accessToken")!,
        {
          path,
          name: form.name,
          description: form.description,
          fileName,
          bytes,
        },
        c.get("log"),
      );
      return ok(c, deps, dataset, message, 201);
    } catch (error) {
      // Not registered, so still the caller's to delete: no orphan left in their folder.
      await store.remove("datasets", [path]).catch((cleanup: unknown) => {
        c.get("log").log("warn", "could not remove an unregistered upload", { path, error: String(cleanup) });
      });
      throw error;
    }
  });
}
