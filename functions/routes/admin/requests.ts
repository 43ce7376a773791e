import { createRoute, z } from "@hono/zod-openapi";
import { JOB_STATUSES } from "../../../shared/platform/schema.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, pageWindow, requireAdmin } from "../../context.ts";
import { pageOf, pageQuery, toCount } from "../paging.ts";
import { authErrors, validationErrors } from "../responses.ts";
import { adminRequestSchema, toAdminRequest } from "./request-shape.ts";

const querySchema = z
  .object({ ...pageQuery, status: z.enum(JOB_STATUSES).optional().openapi({ example: "pending_approval" }) })
  .openapi("AdminRequestsQuery");

export const route = createRoute({
  method: "get",
  path: "/admin/requests",
  tags: ["admin"],
  summary: "Administrators: every user's generation requests, newest first (status filter)",
  security: [{ bearer: [] }],
  request: { query: querySchema },
  responses: {
    200: {
      description: "One page of generation requests",
      content: { "application/json": { schema: envelopeOf(pageOf(adminRequestSchema)) } },
    },
    ...validationErrors,
    ...authErrors,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const admin = requireAdmin(c);
    const { page, page_size, status } = c.req.valid("query");
    const { limit, offset } = pageWindow(page, page_size);
    // Admins read every row by policy ("owner or admin reads"): no service role needed.
    const result = await asCaller(deps, admin, async (tx) => {
      let base = tx.selectFrom("generation_requests");
      if (status) base = base.where("status", "=", status);
      const rows = await base
        .selectAll()
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(limit)
        .offset(offset)
        .execute();
      const total = await base.select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
      return { rows, total: toCount(total?.n as string | undefined) };
    });
    return ok(c, deps, { items: result.rows.map(toAdminRequest), page, page_size, total: result.total });
  });
}
