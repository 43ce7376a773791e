import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { ok, requireAdmin } from "../../context.ts";
import { authErrors, conflictError, notFoundError, validationErrors } from "../responses.ts";
import { runSummarySchema } from "../optimization/run-shape.ts";
import { decideStudy } from "./decide-optimization.ts";

const paramsSchema = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: "id", in: "path" } }),
});
const bodySchema = z
  .object({ reason: z.string().trim().min(1).max(2000).optional() })
  .strict()
  .openapi("ApproveStudy");

export const route = createRoute({
  method: "post",
  path: "/admin/optimization/approve/{id}",
  tags: ["admin"],
  summary:
    "Administrators: approve a pending optimisation study (it is queued and its first trials proposed; logged)",
  security: [{ bearer: [] }],
  request: {
    params: paramsSchema,
    body: { required: false, content: { "application/json": { schema: bodySchema } } },
  },
  responses: {
    200: {
      description: "The study, now queued",
      content: { "application/json": { schema: envelopeOf(runSummarySchema) } },
    },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
    ...conflictError,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const admin = requireAdmin(c);
    const { id } = c.req.valid("param");
    const body = c.req.valid("json") ?? {};
    const study = await decideStudy(deps, admin, id, true, body.reason ?? null);
    return ok(c, deps, study, "optimization run approved");
  });
}
