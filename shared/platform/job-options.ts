import { z } from "zod";
import { MAX_MIN_ROW_COUNT } from "../synth/privacy-guard.ts";

/**
 * `generation_requests.run_options`: how the runner samples and evaluates, beside the model's
 * hyperparameters (model_config, which the models' strict schemas validate, so it holds nothing else).
 * The database checks the same rules (validate_run_options in
 * supabase/migrations/20261202001900_generation_run_options.sql), since users may insert requests
 * without the API; tests/api/generation-v2.test.ts keeps the two in agreement.
 *
 * - `conditions`: column -> value every sampled row must have (Synthesizer.sample's `conditions`:
 *   categorical and boolean columns only; the API checks the names against the dataset's columns).
 * - `privacy_guard`: the CLI's `--no-privacy-guard` (enabled false) and `--privacy-min-row-count k`; the
 *   runner passes `{ guard: enabled, minRowCount: min_row_count }` as the synthesizer's `privacy` option.
 *   Absent: the engine's default (on, k = 2); given, both keys are written out.
 * - `evaluation`: `holdout_fraction` of the real rows kept out of training and used as evaluate()'s
 *   holdout (ML efficacy, DCR overfitting protection; 0 or absent: none), `target_column` for ML efficacy.
 * - `include_metadata`: also write the column metadata the model was fitted with next to the table.
 */
export const MAX_CONDITIONS = 100;
export const MAX_HOLDOUT_FRACTION = 0.5;

export const conditionValueSchema = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);

export const privacyGuardSettingSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Resample synthetic rows equal to a rare training row (the CLI's --no-privacy-guard turns it off)",
      ),
    min_row_count: z
      .number()
      .int()
      .min(2)
      .max(MAX_MIN_ROW_COUNT)
      .default(2)
      .describe(
        "A training row shared by fewer real rows than this is protected (--privacy-min-row-count; default 2)",
      ),
  })
  .strict();
export type PrivacyGuardSetting = z.infer<typeof privacyGuardSettingSchema>;

export const evaluationSettingSchema = z
  .object({
    holdout_fraction: z
      .number()
      .min(0)
      .max(MAX_HOLDOUT_FRACTION)
      .optional()
      .describe("Share of the real rows kept out of training for ML efficacy and DCR overfitting protection"),
    target_column: z.string().min(1).max(256).optional().describe("Column ML efficacy predicts"),
  })
  .strict();
export type EvaluationSetting = z.infer<typeof evaluationSettingSchema>;

export const jobRunOptionsSchema = z
  .object({
    conditions: z
      .preprocess(
        (value, ctx) => {
          // zod's record copies into a plain object, where `__proto__` becomes the prototype and the
          // condition is lost silently; refused here and in SQL instead.
          if (typeof value === "object" && value !== null && Object.hasOwn(value, "__proto__")) {
            ctx.addIssue({
              code: "custom",
              path: ["__proto__"],
              message: "__proto__ cannot be conditioned on",
            });
          }
          return value;
        },
        z
          .record(z.string().min(1).max(256), conditionValueSchema)
          .refine((c) => Object.keys(c).length <= MAX_CONDITIONS, `at most ${MAX_CONDITIONS} conditions`),
      )
      .optional(),
    privacy_guard: privacyGuardSettingSchema.optional(),
    evaluation: evaluationSettingSchema.optional(),
    include_metadata: z.boolean().optional(),
  })
  .strict();
export type JobRunOptions = z.infer<typeof jobRunOptionsSchema>;
