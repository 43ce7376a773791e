import { z } from "@hono/zod-openapi";
import { BUCKETS } from "../../../shared/platform/storage.ts";
import { profileSchema } from "./profile-shape.ts";

/** Most rows of one collection an export holds; beyond it the collection says `truncated: true`. */
export const EXPORT_MAX_ROWS = 10_000;
/** Most objects of one bucket listed (each signed): signing is one Storage call per object. */
export const EXPORT_MAX_OBJECTS = 1_000;
/** Rows read per query: pages keep any one result set small. */
export const EXPORT_PAGE_ROWS = 1_000;

const row = z.record(z.string(), z.unknown());

export const collectionSchema = z.object({
  items: z.array(row),
  count: z.number().int(),
  truncated: z.boolean(),
});
export type Collection = z.infer<typeof collectionSchema>;

export const exportedObjectSchema = z.object({
  bucket: z.enum(BUCKETS),
  path: z.string(),
  size: z.number(),
  content_type: z.string().nullable(),
  updated_at: z.string().nullable(),
  signed_url: z.string().url(),
});

export const accountExportSchema = z
  .object({
    format: z.literal("synth-account-export/1"),
    generated_at: z.string(),
    signed_urls_expire_at: z.string(),
    user: z.object({
      id: z.string().uuid(),
      email: z.string().nullable(),
      phone: z.string().nullable(),
      role: z.enum(["user", "admin"]),
      created_at: z.string().nullable(),
      app_metadata: z.record(z.string(), z.unknown()),
      user_metadata: z.record(z.string(), z.unknown()),
    }),
    profile: profileSchema.nullable(),
    datasets: collectionSchema,
    generation_requests: collectionSchema,
    optimization_runs: collectionSchema,
    optimization_trials: collectionSchema,
    notifications: collectionSchema,
    push_tokens: collectionSchema,
    api_request_logs: collectionSchema,
    storage: z.object({
      items: z.array(exportedObjectSchema),
      count: z.number().int(),
      truncated: z.boolean(),
    }),
  })
  .openapi("AccountExport");
export type AccountExport = z.infer<typeof accountExportSchema>;

/** Bigint columns of the exported tables (uuid ids are not numbers, so "id" only converts api_request_logs'): numbers in JSON where they fit (postgres.js reads int8 as text). */
const BIGINT_COLUMNS = new Set(["id", "size_bytes", "seed", "bytes_in", "bytes_out"]);

/** A database row as plain JSON: timestamps as ISO strings, int8 as numbers when exact. */
export function toJsonRow(row: Record<string, unknown>, bigintColumns: ReadonlySet<string> = BIGINT_COLUMNS) {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value instanceof Date) out[key] = value.toISOString();
    else if (typeof value === "string" && bigintColumns.has(key) && Number.isSafeInteger(Number(value)))
      out[key] = Number(value);
    else out[key] = value;
  }
  return out;
}
