import { createRoute, z } from "@hono/zod-openapi";
import { notFound, synthError } from "../../../shared/errors.ts";
import {
  ARTIFACT_BUCKET,
  ARTIFACTS,
  jobResultPathsSchema,
  OUTPUT_FORMATS,
  type Artifact,
} from "../../../shared/platform/job-results.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { authErrors, conflictError, notFoundError, validationErrors } from "../responses.ts";
import { toDownloads } from "./request-shape.ts";
import { idParamsSchema } from "./status.ts";

const querySchema = z.object({
  format: z
    .enum(OUTPUT_FORMATS)
    .optional()
    .openapi({ description: "Table format (artifact=data); default: the request's output_format" }),
  artifact: z.enum(ARTIFACTS).default("data"),
  redirect: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true")
    .openapi({ description: "Answer 302 to the signed URL instead of the envelope" }),
});

const linkSchema = z
  .object({
    url: z.string().url(),
    expires_in: z.number().int(),
    expires_at: z.string(),
    artifact: z.enum(ARTIFACTS),
    format: z.enum(OUTPUT_FORMATS).nullable(),
    bucket: z.string(),
    path: z.string(),
    file_name: z.string(),
  })
  .openapi("GenerationDownload");

export const route = createRoute({
  method: "get",
  path: "/generation/download/{id}",
  tags: ["generation"],
  summary: "A short-lived signed URL for a succeeded request's table, report, HTML report or model",
  description:
    "Signed with the caller's token, so the storage policies apply. A format or artifact the job did not produce answers 404 with what is available; a request that has not succeeded answers 409.",
  security: [{ bearer: [] }],
  request: { params: idParamsSchema, query: querySchema },
  responses: {
    200: {
      description: "The signed link",
      content: { "application/json": { schema: envelopeOf(linkSchema) } },
    },
    302: { description: "Redirect to the signed link (redirect=true)" },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
    ...conflictError,
  },
});

const EXTENSIONS: Record<Exclude<Artifact, "data">, string> = {
  report: "json",
  html: "html",
  model: "synth",
};

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const row = await asCaller(deps, user, (tx) =>
      tx
        .selectFrom("generation_requests")
        .select(["id", "status", "output_format", "result_paths"])
        .where("id", "=", id)
        .executeTakeFirst(),
    );
    if (row === undefined) throw notFound("generation request", { id });
    if (row.status !== "succeeded") {
      throw synthError(
        "CONFLICT",
        `the request is ${row.status}: results can be downloaded once it succeeded`,
        {
          id,
          status: row.status,
        },
      );
    }
    const parsed = jobResultPathsSchema.safeParse(row.result_paths);
    if (!parsed.success) {
      throw synthError("INTERNAL_ERROR", "the request's result paths are not in the documented shape", {
        id,
      });
    }
    const results = parsed.data;
    const available = toDownloads(row) ?? { formats: [], artifacts: [] };
    const format = query.artifact === "data" ? (query.format ?? row.output_format) : null;
    const path =
      format !== null ? results.data[format] : results[query.artifact as Exclude<Artifact, "data">];
    if (path === undefined) {
      throw synthError(
        "NOT_FOUND",
        format !== null
          ? `the job did not write ${format}; available: ${available.formats.join(", ") || "none"}`
          : `the job did not write a ${query.artifact}; available: ${available.artifacts.join(", ") || "none"}`,
        { available_formats: available.formats, available_artifacts: available.artifacts },
      );
    }
    const short = row.id.slice(0, 8);
    const fileName =
      format !== null
        ? `synthetic-${short}.${format}`
        : `${query.artifact}-${short}.${EXTENSIONS[query.artifact as Exclude<Artifact, "data">]}`;
    const bucket = ARTIFACT_BUCKET[query.artifact];
    const expiresIn = deps.config.signedUrlSeconds;
    const url = await deps.storage
      .forUser(c.get("accessToken")!)
      .createSignedUrl(bucket, path, expiresIn, { download: fileName });
    if (query.redirect) return c.redirect(url, 302);
    return ok(c, deps, {
      url,
      expires_in: expiresIn,
      expires_at: new Date(deps.clock.now().getTime() + expiresIn * 1000).toISOString(),
      artifact: query.artifact,
      format,
      bucket,
      path,
      file_name: fileName,
    });
  });
}
