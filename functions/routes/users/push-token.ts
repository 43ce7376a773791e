import { createRoute, z } from "@hono/zod-openapi";
import { hasControlCharacter } from "./text-rules.ts";
import { sql } from "kysely";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { signedIn } from "../../middleware/signed-in.ts";
import { authErrors, validationErrors } from "../responses.ts";
import { pushTokenSchema, toPushToken } from "./push-token-shape.ts";

export const pushTokenBodySchema = z
  .strictObject({
    // FCM registration tokens are ~160 characters, APNs device tokens 64 hex, Web Push subscriptions
    // (serialised) a few hundred: 4096 is the column's limit.
    token: z
      .string()
      .min(1)
      .max(4096)
      .refine(
        (s) => s.trim() === s && !hasControlCharacter(s),
        "must not have surrounding spaces or control characters",
      ),
    platform: z.enum(["ios", "android", "web"]),
    device_name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine((s) => !hasControlCharacter(s), "must not contain control characters")
      .optional(),
  })
  .openapi("PushTokenRegistration", {
    example: { token: "fcm:APA91bH...", platform: "android", device_name: "Pixel 8" },
  });

export const route = createRoute({
  method: "post",
  path: "/users/push-token",
  tags: ["users"],
  summary: "Register this device's push token for the caller, or refresh it (last_seen_at) when known",
  security: [{ bearer: [] }],
  middleware: [signedIn] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: pushTokenBodySchema } } },
  },
  responses: {
    201: {
      description: "The token was registered",
      content: { "application/json": { schema: envelopeOf(pushTokenSchema) } },
    },
    200: {
      description: "The caller had registered this token already: last_seen_at (and device_name) refreshed",
      content: { "application/json": { schema: envelopeOf(pushTokenSchema) } },
    },
    ...validationErrors,
    ...authErrors,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const body = c.req.valid("json");
    // One statement, so two devices' concurrent registrations of one token cannot both insert. Unique per
    // (user_id, token) since 20261202000800; that migration's trigger drops another account's row for the
    // same device. The grant lets users update only device_name and last_seen_at, so a refresh keeps the
    // platform it was registered with. xmax = 0 tells a fresh insert from the conflict's update.
    const row = await asCaller(deps, user, (tx) =>
      tx
        .insertInto("push_tokens")
        .values({
          user_id: user.id,
          token: body.token,
          platform: body.platform,
          device_name: body.device_name ?? null,
        })
        .onConflict((oc) =>
          oc.columns(["user_id", "token"]).doUpdateSet({
            last_seen_at: sql<Date>`now()`,
            device_name: sql<string | null>`coalesce(excluded.device_name, push_tokens.device_name)`,
          }),
        )
        .returningAll()
        .returning(sql<boolean>`xmax = 0`.as("inserted"))
        .executeTakeFirstOrThrow(),
    );
    const { inserted, ...token } = row;
    return inserted
      ? ok(c, deps, toPushToken(token), "push token registered", 201)
      : ok(c, deps, toPushToken(token), "push token refreshed", 200);
  });
}
