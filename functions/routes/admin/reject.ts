import { createRoute } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { ok, requireAdmin } from "../../context.ts";
import { rejectBody, decisionParams, decisionResponses } from "./decision-route.ts";
import { decideRequest } from "./decide.ts";
import { adminRequestSchema } from "./request-shape.ts";

export const route = createRoute({
  method: "post",
  path: "/admin/reject/{id}",
  tags: ["admin"],
  summary: "Administrators: reject a pending generation request with a reason (logged)",
  security: [{ bearer: [] }],
  request: {
    params: decisionParams,
    body: { required: true, content: { "application/json": { schema: rejectBody } } },
  },
  responses: decisionResponses(adminRequestSchema, "The request, now rejected"),
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const admin = requireAdmin(c);
    const { id } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    const request = await decideRequest(deps, admin, id, false, reason);
    return ok(c, deps, request, "generation request rejected");
  });
}
