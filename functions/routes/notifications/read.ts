import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { notFound } from "../../../shared/errors.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { toCount } from "../paging.ts";
import { authErrors, notFoundError, validationErrors } from "../responses.ts";

const MAX_IDS = 500;

// One object with both fields optional (not a union), so a bad id is reported at its path (ids.3).
const bodySchema = z
  .object({
    ids: z.array(z.string().uuid()).min(1).max(MAX_IDS).optional(),
    all: z.literal(true).optional(),
  })
  .strict()
  .refine((b) => (b.ids === undefined) !== (b.all === undefined), {
    message: 'give either "ids" (1 to 500 uuids) or "all": true',
    path: ["ids"],
  })
  .openapi("MarkNotificationsRead", {
    description: `Either {"ids": [uuid, ...]} (1 to ${MAX_IDS}) or {"all": true}`,
  });

const answerSchema = z
  .object({ marked: z.number().int().openapi({ description: "Notifications newly marked read" }) })
  .openapi("NotificationsMarked");

export const route = createRoute({
  method: "post",
  path: "/notifications/read",
  tags: ["notifications"],
  summary: "Mark notifications read: the given ids, or all of the caller's",
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { "application/json": { schema: bodySchema } } } },
  responses: {
    200: {
      description: "How many were marked (already-read ones keep their read_at and are not counted)",
      content: { "application/json": { schema: envelopeOf(answerSchema) } },
    },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const body = c.req.valid("json");
    const marked = await asCaller(deps, user, async (tx) => {
      if (body.all) {
        const res = await tx
          .updateTable("notifications")
          .set({ read_at: sql`now()` })
          .where("user_id", "=", user.id)
          .where("read_at", "is", null)
          .executeTakeFirst();
        return toCount(res.numUpdatedRows);
      }
      const ids = [...new Set(body.ids ?? [])];
      // Every id must be the caller's (RLS hides the others): an id that is not is never acted on nor
      // confirmed, as a single-resource route answers 404 for it, and nothing is marked.
      const visible = await tx.selectFrom("notifications").select("id").where("id", "in", ids).execute();
      if (visible.length !== ids.length) {
        const seen = new Set(visible.map((r) => r.id));
        throw notFound("notification", { missing: ids.filter((id) => !seen.has(id)) });
      }
      const res = await tx
        .updateTable("notifications")
        .set({ read_at: sql`now()` })
        .where("id", "in", ids)
        .where("read_at", "is", null)
        .executeTakeFirst();
      return toCount(res.numUpdatedRows);
    });
    return ok(c, deps, { marked }, `${marked} notification${marked === 1 ? "" : "s"} marked read`);
  });
}
