import { z } from "@hono/zod-openapi";
import type { Selectable } from "kysely";
import type { Database } from "../../../shared/platform/schema.ts";
import { iso } from "./profile-shape.ts";

export const pushTokenSchema = z
  .object({
    id: z.string().uuid(),
    token: z.string(),
    platform: z.enum(["ios", "android", "web"]),
    device_name: z.string().nullable(),
    created_at: z.string(),
    last_seen_at: z.string(),
  })
  .openapi("PushToken");
export type PushToken = z.infer<typeof pushTokenSchema>;

export function toPushToken(row: Selectable<Database["push_tokens"]>): PushToken {
  return {
    id: row.id,
    token: row.token,
    platform: row.platform,
    device_name: row.device_name,
    created_at: iso(row.created_at) ?? "",
    last_seen_at: iso(row.last_seen_at) ?? "",
  };
}
