import { z } from "@hono/zod-openapi";
import {
  jobRunOptionsSchema,
  evaluationSettingSchema,
  privacyGuardSettingSchema,
} from "../../../shared/platform/job-options.ts";
import { optimizationConfigSchema } from "../../../shared/platform/job-config.ts";
import { OUTPUT_FORMATS } from "../../../shared/platform/job-results.ts";
import { modelConfigBodySchema } from "./model-config.ts";

/**
 * The body of POST /generation/start: the seed's `{dataset_id, sample_size, model_config: {model_type,
 * ...hyperparameters}, optimization_config?, output_format, include_metadata?}` plus `seed` and
 * `conditions`. POST /generation-v2/start (and /validate) take the same plus the privacy guard and
 * evaluation settings. The database limits (max sample size, epochs, active jobs) are the insert
 * trigger's, read from platform_settings at insert time; the bounds here are the schema's.
 */
const startFields = {
  dataset_id: z.string().uuid(),
  sample_size: z.number().int().min(1).max(100_000_000),
  model_config: modelConfigBodySchema,
  optimization_config: optimizationConfigSchema.optional(),
  output_format: z.enum(OUTPUT_FORMATS).default("csv"),
  include_metadata: z.boolean().optional(),
  seed: z.number().int().min(0).max(4_294_967_295).optional(),
  conditions: jobRunOptionsSchema.shape.conditions,
};

export const startBodySchema = z
  .object(startFields)
  .strict()
  .openapi("GenerationStart", {
    example: {
      dataset_id: "00000000-0000-4000-8000-000000000000",
      sample_size: 1000,
      model_config: { model_type: "ctgan", epochs: 150 },
      output_format: "csv",
      seed: 42,
    },
  });
export type StartBody = z.infer<typeof startBodySchema>;

export const startV2BodySchema = z
  .object({
    ...startFields,
    privacy_guard: privacyGuardSettingSchema.optional(),
    evaluation: evaluationSettingSchema.optional(),
  })
  .strict()
  .openapi("GenerationStartV2", {
    example: {
      dataset_id: "00000000-0000-4000-8000-000000000000",
      sample_size: 1000,
      model_config: { model_type: "tvae", epochs: 200, batch_size: 250 },
      output_format: "parquet",
      seed: 7,
      conditions: { smoker: "no" },
      privacy_guard: { enabled: true, min_row_count: 3 },
      evaluation: { holdout_fraction: 0.2, target_column: "charges" },
    },
  });
export type StartV2Body = z.infer<typeof startV2BodySchema>;

export const startedSchema = z
  .object({ id: z.string().uuid(), status: z.enum(["queued", "pending_approval"]) })
  .openapi("GenerationStarted");
