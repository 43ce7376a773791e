import { createRoute, z } from "@hono/zod-openapi";
import { forbidden, notFound } from "../../../shared/errors.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireAdmin } from "../../context.ts";
import { authErrors, notFoundError, validationErrors } from "../responses.ts";
import { selectAdminUsers } from "./user-shape.ts";

const paramsSchema = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: "id", in: "path" } }),
});
const bodySchema = z
  .object({
    disabled: z
      .boolean()
      .optional()
      .openapi({ description: "The state wanted; absent: the opposite of now" }),
    reason: z.string().trim().min(1).max(2000).optional(),
  })
  .strict()
  .openapi("ToggleUser");

const answerSchema = z
  .object({ id: z.string().uuid(), disabled: z.boolean(), banned_until: z.string().nullable() })
  .openapi("UserAccessState");

export const route = createRoute({
  method: "post",
  path: "/admin/users/{id}/toggle",
  tags: ["admin"],
  summary: "Administrators: disable (ban) or enable an account; logged; the ban applies on the next request",
  security: [{ bearer: [] }],
  request: {
    params: paramsSchema,
    body: { required: false, content: { "application/json": { schema: bodySchema } } },
  },
  responses: {
    200: {
      description: "The account's new state",
      content: { "application/json": { schema: envelopeOf(answerSchema) } },
    },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const admin = requireAdmin(c);
    const { id } = c.req.valid("param");
    const body = c.req.valid("json") ?? {};
    if (id === admin.id) throw forbidden("an administrator cannot disable or enable their own account");
    const state = await asCaller(deps, admin, async (tx) => {
      const [target] = (await selectAdminUsers(tx, { limit: 1, offset: 0 }, id)).users;
      if (!target) throw notFound("user");
      const disabled = body.disabled ?? !target.disabled;
      // The log line is written as the admin in this transaction before the ban: if the Auth admin call
      // fails, the transaction rolls back and no line claims an action that did not happen.
      await tx
        .insertInto("admin_action_logs")
        .values({
          admin_id: admin.id,
          action: disabled ? "disable_user" : "enable_user",
          target_table: "auth.users",
          target_id: id,
          reason: body.reason ?? null,
          details: { was_disabled: target.disabled, banned_until_before: target.banned_until },
        })
        .execute();
      await deps.authAdmin.setBanned(id, disabled);
      const [after] = (await selectAdminUsers(tx, { limit: 1, offset: 0 }, id)).users;
      return { id, disabled: after?.disabled ?? disabled, banned_until: after?.banned_until ?? null };
    });
    return ok(c, deps, state, state.disabled ? "account disabled" : "account enabled");
  });
}
