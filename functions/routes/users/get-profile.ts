import { createRoute } from "@hono/zod-openapi";
import { notFound } from "../../../shared/errors.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { signedIn } from "../../middleware/signed-in.ts";
import { authErrors, notFoundError } from "../responses.ts";
import { profileSchema, toProfile } from "./profile-shape.ts";

export const route = createRoute({
  method: "get",
  path: "/users/profile",
  tags: ["users"],
  summary: "The caller's profile",
  security: [{ bearer: [] }],
  middleware: [signedIn] as const,
  responses: {
    200: {
      description: "The profile",
      content: { "application/json": { schema: envelopeOf(profileSchema) } },
    },
    ...authErrors,
    ...notFoundError,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    // Admins may read every profile under RLS: the id filter keeps this the caller's own.
    const row = await asCaller(deps, user, (tx) =>
      tx.selectFrom("profiles").selectAll().where("id", "=", user.id).executeTakeFirst(),
    );
    if (!row) throw notFound("profile");
    return ok(c, deps, toProfile(row));
  });
}
