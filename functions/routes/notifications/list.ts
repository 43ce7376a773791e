import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, pageWindow, requireUser } from "../../context.ts";
import { pageOf, pageQuery, toCount } from "../paging.ts";
import { authErrors, validationErrors } from "../responses.ts";
import { notificationSchema, toNotification } from "./notification-shape.ts";

const querySchema = z
  .object({
    ...pageQuery,
    unread: z
      .enum(["true", "false"])
      .optional()
      .transform((v) => v === "true")
      .openapi({ description: "true: only notifications not yet read" }),
  })
  .openapi("NotificationListQuery");

export const route = createRoute({
  method: "get",
  path: "/notifications",
  tags: ["notifications"],
  summary: "The caller's notifications, newest first (unread=true: only unread ones)",
  security: [{ bearer: [] }],
  request: { query: querySchema },
  responses: {
    200: {
      description: "One page of notifications",
      content: { "application/json": { schema: envelopeOf(pageOf(notificationSchema)) } },
    },
    ...validationErrors,
    ...authErrors,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const { page, page_size, unread } = c.req.valid("query");
    const { limit, offset } = pageWindow(page, page_size);
    const result = await asCaller(deps, user, async (tx) => {
      // RLS shows recipients only their own; the filter keeps the plan on the (user_id, created_at) index.
      let base = tx.selectFrom("notifications").where("user_id", "=", user.id);
      if (unread) base = base.where("read_at", "is", null);
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
    return ok(c, deps, {
      items: result.rows.map(toNotification),
      page,
      page_size,
      total: result.total,
    });
  });
}
