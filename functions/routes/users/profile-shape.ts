import { z } from "@hono/zod-openapi";
import type { Selectable } from "kysely";
import { isoTimestamp } from "../../../shared/platform/timestamp.ts";
import type { Database } from "../../../shared/platform/schema.ts";

export const profileSchema = z
  .object({
    id: z.string().uuid(),
    display_name: z.string().nullable(),
    organisation: z.string().nullable(),
    avatar_url: z.string().nullable(),
    preferences: z.record(z.string(), z.unknown()),
    notification_consent: z.boolean(),
    notification_consent_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Profile");
export type Profile = z.infer<typeof profileSchema>;

export const iso = (value: Date | string | null): string | null => isoTimestamp(value);

export function toProfile(row: Selectable<Database["profiles"]>): Profile {
  return {
    id: row.id,
    display_name: row.display_name,
    organisation: row.organisation,
    avatar_url: row.avatar_url,
    preferences: (row.preferences ?? {}) as Record<string, unknown>,
    notification_consent: row.notification_consent,
    notification_consent_at: iso(row.notification_consent_at),
    created_at: iso(row.created_at) ?? "",
    updated_at: iso(row.updated_at) ?? "",
  };
}
