import { z } from "@hono/zod-openapi";
import { hasControlCharacter } from "./text-rules.ts";

/** Largest serialised preferences object accepted (UTF-8 bytes); the column allows 16 KiB stored. */
export const PREFERENCES_MAX_BYTES = 8192;
/** Deepest nesting of preferences: settings of a client, not a document store. */
export const PREFERENCES_MAX_DEPTH = 6;

function depthOf(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  const children = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
  return 1 + children.reduce<number>((max, child) => Math.max(max, depthOf(child)), 0);
}

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, "must not be empty (send null to clear it)")
    .max(max)
    .refine((s) => !hasControlCharacter(s), "must not contain control characters");

/**
 * The columns a user may change (the profiles grant: display_name, organisation, avatar_url, preferences,
 * notification_consent); anything else (id, timestamps, consent time) is refused by `strict`, so a
 * client learns it sent a field that is not theirs to set. Absent fields stay as they are.
 */
export const profileUpdateSchema = z
  .strictObject({
    display_name: text(100).nullable().optional(),
    organisation: text(200).nullable().optional(),
    avatar_url: z
      .string()
      .max(2048)
      .url()
      .refine((s) => s.startsWith("https://"), "must be an https:// URL")
      .nullable()
      .optional(),
    preferences: z
      .record(z.string().max(100), z.unknown())
      .refine(
        (p) => new TextEncoder().encode(JSON.stringify(p)).length <= PREFERENCES_MAX_BYTES,
        `must be at most ${PREFERENCES_MAX_BYTES} bytes as JSON`,
      )
      .refine((p) => depthOf(p) <= PREFERENCES_MAX_DEPTH, `must nest at most ${PREFERENCES_MAX_DEPTH} levels`)
      .optional(),
    notification_consent: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "send at least one field to change")
  .openapi("ProfileUpdate", {
    example: { display_name: "Ada", organisation: "Analytical Engines Ltd", notification_consent: true },
  });
export type ProfileUpdate = z.infer<typeof profileUpdateSchema>;
