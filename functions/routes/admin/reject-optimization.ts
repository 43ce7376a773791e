import { createRoute } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { ok, requireAdmin } from "../../context.ts";
import { rejectBody, decisionParams, decisionResponses } from "./decision-route.ts";
import { runSummarySchema } from "../optimization/run-shape.ts";
import { decideStudy } from "./decide-optimization.ts";

export const route = createRoute({
  method: "post",
  path: "/admin/optimization/reject/{id}",
  tags: ["admin"],
  summary: "Administrators: reject a pending optimisation study with a reason (logged)",
  security: [{ bearer: [] }],
  request: {
    params: decisionParams,
    body: { required: true, content: { "application/json": { schema: rejectBody } } },
  },
  responses: decisionResponses(runSummarySchema, "The study, now rejected"),
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
