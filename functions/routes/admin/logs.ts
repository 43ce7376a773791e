import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, pageWindow, requireAdmin } from "../../context.ts";
import { pageOf, pageQuery, toCount } from "../paging.ts";
import { authErrors, validationErrors } from "../responses.ts";
import { adminLogSchema, toAdminLog } from "./log-shape.ts";

const querySchema = z
  .object({
    ...pageQuery,
    action: z.string().min(1).max(100).optional().openapi({ example: "approve_generation" }),
  })
  .openapi("AdminLogsQuery");

export const route = createRoute({
  method: "get",
  path: "/admin/logs",
  tags: ["admin"],
  summary: "Administrators: the admin action log, newest first (action filter)",
  security: [{ bearer: [] }],
  request: { query: querySchema },
  responses: {
    200: {
      description: "One page of log lines",
      content: { "application/json": { schema: envelopeOf(pageOf(adminLogSchema)) } },
    },
    ...validationErrors,
    ...authErrors,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const admin = requireAdmin(c);
    const { page, page_size, action } = c.req.valid("query");
    const { limit, offset } = pageWindow(page, page_size);
    const result = await asCaller(deps, admin, async (tx) => {
      let base = tx.selectFrom("admin_action_logs");
      if (action) base = base.where("action", "=", action);
      const rows = await base.selectAll().orderBy("id", "desc").limit(limit).offset(offset).execute();
      const total = await base.select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
      return { rows, total: toCount(total?.n as string | undefined) };
    });
    return ok(c, deps, { items: result.rows.map(toAdminLog), page, page_size, total: result.total });
  });
}
