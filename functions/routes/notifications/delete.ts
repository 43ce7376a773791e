import { createRoute, z } from "@hono/zod-openapi";
import { notFound } from "../../../shared/errors.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { authErrors, notFoundError, validationErrors } from "../responses.ts";

const paramsSchema = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: "id", in: "path" } }),
});

export const route = createRoute({
  method: "delete",
  path: "/notifications/{id}",
  tags: ["notifications"],
  summary: "Delete one of the caller's notifications",
  security: [{ bearer: [] }],
  request: { params: paramsSchema },
  responses: {
    200: {
      description: "Deleted",
      content: {
        "application/json": {
          schema: envelopeOf(z.object({ id: z.string().uuid(), deleted: z.literal(true) })),
        },
      },
    },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const { id } = c.req.valid("param");
    const deleted = await asCaller(deps, user, (tx) =>
      tx.deleteFrom("notifications").where("id", "=", id).returning("id").executeTakeFirst(),
    );
    if (!deleted) throw notFound("notification");
    return ok(c, deps, { id: deleted.id, deleted: true as const }, "notification deleted");
  });
}
