import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, pageWindow, requireAdmin } from "../../context.ts";
import { pageOf, pageQuery } from "../paging.ts";
import { authErrors, validationErrors } from "../responses.ts";
import { adminUserSchema, selectAdminUsers } from "./user-shape.ts";

export const route = createRoute({
  method: "get",
  path: "/admin/users",
  tags: ["admin"],
  summary: "Administrators: every account, newest first, with role, ban state and counts",
  security: [{ bearer: [] }],
  request: { query: z.object(pageQuery).openapi("AdminUsersQuery") },
  responses: {
    200: {
      description: "One page of accounts",
      content: { "application/json": { schema: envelopeOf(pageOf(adminUserSchema)) } },
    },
    ...validationErrors,
    ...authErrors,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const admin = requireAdmin(c);
    const { page, page_size } = c.req.valid("query");
    const window = pageWindow(page, page_size);
    const { users, total } = await asCaller(deps, admin, async (tx) => {
      const found = await selectAdminUsers(tx, window);
      // Past the last page there are no rows to carry the total: ask for the first row's.
      if (found.users.length === 0 && window.offset > 0) {
        return { users: [], total: (await selectAdminUsers(tx, { limit: 1, offset: 0 })).total };
      }
      return found;
    });
    return ok(c, deps, { items: users, page, page_size, total });
  });
}
