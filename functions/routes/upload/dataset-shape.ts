import { z } from "@hono/zod-openapi";
import type { Selectable } from "kysely";
import { DATASET_STATUSES, type Database } from "../../../shared/platform/schema.ts";
import { iso } from "../users/profile-shape.ts";

/** Why a file is invalid: the SynthError of the reader, with the row and column where it applies. */
export const datasetErrorSchema = z
  .object({
    code: z.string().openapi({ example: "RAGGED_ROW" }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi("DatasetError");

/** A dataset as lists show it: everything but the heavy profile and column metadata. */
export const datasetSummarySchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    description: z.string().nullable(),
    storage_bucket: z.literal("datasets"),
    storage_path: z.string(),
    format: z.enum(["csv", "json", "jsonl", "xlsx", "parquet"]),
    size_bytes: z.number().nullable(),
    sha256: z.string().nullable(),
    status: z.enum(DATASET_STATUSES),
    row_count: z.number().int().nullable(),
    column_count: z.number().int().nullable(),
    error: datasetErrorSchema.nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("DatasetSummary");
export type DatasetSummary = z.infer<typeof datasetSummarySchema>;

/** One dataset with what validation found: the inferred column metadata and the profile. */
export const datasetSchema = datasetSummarySchema
  .extend({
    column_metadata: z.record(z.string(), z.unknown()).nullable(),
    profile: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("Dataset");
export type Dataset = z.infer<typeof datasetSchema>;

export type DatasetRow = Selectable<Database["datasets"]>;
export type DatasetSummaryRow = Omit<
  DatasetRow,
  "profile" | "column_metadata" | "attempts" | "locked_by" | "locked_until"
>;

/** The columns a list selects (the profile can be megabytes per row). */
export const SUMMARY_COLUMNS = [
  "id",
  "owner_id",
  "name",
  "description",
  "storage_bucket",
  "storage_path",
  "format",
  "size_bytes",
  "sha256",
  "status",
  "row_count",
  "column_count",
  "error",
  "created_at",
  "updated_at",
] as const satisfies readonly (keyof DatasetRow)[];

const asObject = (value: unknown): Record<string, unknown> | null =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;

function toError(value: unknown): DatasetSummary["error"] {
  const e = asObject(value);
  if (e === null) return null;
  return {
    code: typeof e.code === "string" ? e.code : "INTERNAL_ERROR",
    message: typeof e.message === "string" ? e.message : "",
    details: asObject(e.details) ?? {},
  };
}

export function toDatasetSummary(row: DatasetSummaryRow): DatasetSummary {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    storage_bucket: "datasets",
    storage_path: row.storage_path,
    format: row.format,
    size_bytes: row.size_bytes === null ? null : Number(row.size_bytes),
    sha256: row.sha256,
    status: row.status,
    row_count: row.row_count,
    column_count: row.column_count,
    error: toError(row.error),
    created_at: iso(row.created_at) ?? "",
    updated_at: iso(row.updated_at) ?? "",
  };
}

export function toDataset(row: DatasetRow): Dataset {
  return {
    ...toDatasetSummary(row),
    column_metadata: asObject(row.column_metadata),
    profile: asObject(row.profile),
  };
}
