import { z } from "@hono/zod-openapi";
import type { Selectable } from "kysely";
import type { Database } from "../../../shared/platform/schema.ts";
import { iso } from "../users/profile-shape.ts";

export const notificationSchema = z
  .object({
    id: z.string().uuid(),
    kind: z.string().openapi({ example: "generation_succeeded" }),
    title: z.string(),
    body: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    read_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("Notification");
export type Notification = z.infer<typeof notificationSchema>;

export function toNotification(row: Selectable<Database["notifications"]>): Notification {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    body: row.body,
    data: (row.data ?? {}) as Record<string, unknown>,
    read_at: iso(row.read_at),
    created_at: iso(row.created_at) ?? "",
  };
}
