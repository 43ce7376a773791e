import { createRoute } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { ok, requireAdmin } from "../../context.ts";
import { approveBody, decisionParams, decisionResponses } from "./decision-route.ts";
import { decideRequest } from "./decide.ts";
import { adminRequestSchema } from "./request-shape.ts";

export const route = createRoute({
  method: "post",
  path: "/admin/approve/{id}",
  tags: ["admin"],
  summary: "Administrators: approve a pending generation request (it is queued; logged)",
  security: [{ bearer: [] }],
  request: {
    params: decisionParams,
    body: { required: false, content: { "application/json": { schema: approveBody } } },
  },
  responses: decisionResponses(adminRequestSchema, "The request, now queued"),
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const admin = requireAdmin(c);
    const { id } = c.req.valid("param");
    const body = c.req.valid("json") ?? {};
    const request = await decideRequest(deps, admin, id, true, body.reason ?? null);
    return ok(c, deps, request, "generation request approved");
  });
}
