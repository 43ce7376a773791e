import { createRoute } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { ok, requireAdmin } from "../../context.ts";
import { approveBody, decisionParams, decisionResponses } from "./decision-route.ts";
import { runSummarySchema } from "../optimization/run-shape.ts";
import { decideStudy } from "./decide-optimization.ts";

export const route = createRoute({
  method: "post",
  path: "/admin/optimization/approve/{id}",
  tags: ["admin"],
  summary:
    "Administrators: approve a pending optimisation study (it is queued and its first trials proposed; logged)",
  security: [{ bearer: [] }],
  request: {
    params: decisionParams,
    body: { required: false, content: { "application/json": { schema: approveBody } } },
  },
  responses: decisionResponses(runSummarySchema, "The study, now queued"),
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
