import { createRoute, z } from "@hono/zod-openapi";
import { notFound } from "../../../shared/errors.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { authErrors, notFoundError, validationErrors } from "../responses.ts";
import { generationRequestSchema, toGenerationRequest } from "./request-shape.ts";

export const idParamsSchema = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: "id", in: "path" } }),
});

export const route = createRoute({
  method: "get",
  path: "/generation/status/{id}",
  tags: ["generation"],
  summary:
    "One request: status, progress (epoch, losses, ETA), quality summary once succeeded, error once failed",
  description:
    "Progress is what the runner last wrote (shared/platform/job-progress.ts); subscribe to the row with Supabase Realtime for live updates.",
  security: [{ bearer: [] }],
  request: { params: idParamsSchema },
  responses: {
    200: {
      description: "The request",
      content: { "application/json": { schema: envelopeOf(generationRequestSchema) } },
    },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const { id } = c.req.valid("param");
    const row = await asCaller(deps, user, (tx) =>
      tx.selectFrom("generation_requests").selectAll().where("id", "=", id).executeTakeFirst(),
    );
    if (row === undefined) throw notFound("generation request", { id });
    return ok(c, deps, toGenerationRequest(row));
  });
}
