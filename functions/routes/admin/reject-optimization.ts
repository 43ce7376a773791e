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
  .object({ reason: z.string().trim().min(1).max(2000).openapi({ description: "Told to the requester" }) })
  .strict()
  .openapi("RejectStudy");

export const route = createRoute({
  method: "post",
  path: "/admin/optimization/reject/{id}",
  tags: ["admin"],
  summary: "Administrators: reject a pending optimisation study with a reason (logged)",
  security: [{ bearer: [] }],
  request: {
    params: paramsSchema,
    body: { required: true, content: { "application/json": { schema: bodySchema } } },
  },
  responses: {
    200: {
      description: "The study, now rejected",
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
    const { reason } = c.req.valid("json");
    const study = await decideStudy(deps, admin, id, false, reason);
    return ok(c, deps, study, "optimization run rejected");
  });
}
