import { z } from "@hono/zod-openapi";
import { ctganOptionsSchema } from "../../../shared/synth/ctgan-options.ts";
import { tvaeOptionsSchema } from "../../../shared/synth/tvae-options.ts";
import { copulaOptionsSchema } from "../../../shared/synth/copula/gaussian-copula.ts";
import { MODEL_TYPES } from "./request-shape.ts";

export type ModelType = (typeof MODEL_TYPES)[number];

/**
 * Each model's hyperparameters as shared/synth defines them (the source of truth; the SQL spec of
 * validate_model_config mirrors them and tests/db/hardening.test.ts keeps the two in agreement). Strict:
 * an unknown key is refused here as the database refuses it, instead of being dropped silently.
 */
export const MODEL_OPTION_SCHEMAS = {
  ctgan: ctganOptionsSchema,
  tvae: tvaeOptionsSchema,
  gaussian_copula: copulaOptionsSchema.strict(),
} as const satisfies Record<ModelType, z.ZodObject>;

/** `model_config` of a request: the model, then its hyperparameters at the same level (the seed's shape). */
export const modelConfigBodySchema = z
  .object({ model_type: z.enum(MODEL_TYPES) })
  .catchall(z.unknown())
  .superRefine((config, ctx) => {
    for (const p of hyperparameterProblems(config)) {
      ctx.addIssue({ code: "custom", path: p.path.split(".").slice(1), message: p.message });
    }
  })
  .openapi("ModelConfig", {
    description:
      "The model and its hyperparameters, e.g. {model_type: 'ctgan', epochs: 150}; GET /generation-v2/config lists every hyperparameter with its default and range",
  });
export interface ModelConfigBody {
  model_type: ModelType;
  [key: string]: unknown;
}

/** The hyperparameters without the model's name, as generation_requests.model_config stores them. */
export function hyperparameters(config: ModelConfigBody): Record<string, unknown> {
  const { model_type: _model, ...rest } = config;
  return rest;
}

export interface Problem {
  path: string;
  message: string;
}

/**
 * Every problem of the hyperparameters against their model's zod schema, with paths under `model_config`.
 * Also the one rule between two keys that fit() checks too: CTGAN's batch_size is a multiple of pac.
 */
export function hyperparameterProblems(config: ModelConfigBody): Problem[] {
  const schema = MODEL_OPTION_SCHEMAS[config.model_type] as z.ZodObject | undefined;
  if (schema === undefined) return [];
  const values = hyperparameters(config);
  const result = schema.safeParse(values);
  const problems: Problem[] = result.success
    ? []
    : result.error.issues.flatMap((issue) => {
        // zod reports all unknown keys in one issue; one problem per key gives each its own path.
        if (issue.code === "unrecognized_keys") {
          return issue.keys.map((key) => ({
            path: `model_config.${key}`,
            message: `unknown hyperparameter of ${config.model_type}`,
          }));
        }
        return [{ path: ["model_config", ...issue.path.map(String)].join("."), message: issue.message }];
      });
  if (
    config.model_type === "ctgan" &&
    problems.length === 0 &&
    typeof values.batch_size === "number" &&
    typeof values.pac === "number" &&
    values.batch_size % values.pac !== 0
  ) {
    problems.push({ path: "model_config.batch_size", message: `must be a multiple of pac (${values.pac})` });
  }
  return problems;
}
