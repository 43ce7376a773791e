import { createRoute } from "@hono/zod-openapi";
import { sql } from "kysely";
import { notFound } from "../../../shared/errors.ts";
import type { JsonObject } from "../../../shared/platform/column.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { signedIn } from "../../middleware/signed-in.ts";
import { authErrors, notFoundError, validationErrors } from "../responses.ts";
import { profileSchema, toProfile } from "./profile-shape.ts";
import { profileUpdateSchema } from "./profile-update-shape.ts";

export const route = createRoute({
  method: "put",
  path: "/users/profile",
  tags: ["users"],
  summary: "Change the caller's profile (partial: absent fields stay); answers the updated profile",
  security: [{ bearer: [] }],
  middleware: [signedIn] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: profileUpdateSchema } } },
  },
  responses: {
    200: {
      description: "The updated profile",
      content: { "application/json": { schema: envelopeOf(profileSchema) } },
    },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const changes = c.req.valid("json");
    const row = await asCaller(deps, user, (tx) =>
      tx
        .updateTable("profiles")
        .set({
          display_name: changes.display_name,
          organisation: changes.organisation,
          avatar_url: changes.avatar_url,
          notification_consent: changes.notification_consent,
          // JSON text cast to jsonb: with the parameter typed jsonb, postgres.js would encode the string again.
          preferences:
            changes.preferences === undefined
              ? undefined
              : sql<JsonObject>`${JSON.stringify(changes.preferences)}::text::jsonb`,
        })
        .where("id", "=", user.id)
        .returningAll()
        .executeTakeFirst(),
    );
    if (!row) throw notFound("profile");
    return ok(c, deps, toProfile(row), "profile updated");
  });
}
