import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { profileSchema, toProfile } from "../users/profile-shape.ts";
import { authErrors } from "../responses.ts";

const meSchema = z
  .object({
    id: z.string().uuid(),
    email: z.string().nullable(),
    role: z.enum(["user", "admin"]),
    profile: profileSchema.nullable(),
  })
  .openapi("Me");

export const route = createRoute({
  method: "get",
  path: "/auth/me",
  tags: ["auth"],
  summary: "The signed-in caller: id, email, role (from app_metadata) and profile",
  security: [{ bearer: [] }],
  responses: {
    200: { description: "The caller", content: { "application/json": { schema: envelopeOf(meSchema) } } },
    ...authErrors,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const profile = await asCaller(deps, user, (tx) =>
      tx.selectFrom("profiles").selectAll().where("id", "=", user.id).executeTakeFirst(),
    );
    return ok(c, deps, {
      id: user.id,
      email: user.email ?? null,
      role: user.role,
      profile: profile ? toProfile(profile) : null,
    });
  });
}
