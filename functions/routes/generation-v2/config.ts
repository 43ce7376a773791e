import { createRoute, z } from "@hono/zod-openapi";
import {
  evaluationSettingSchema,
  MAX_CONDITIONS,
  privacyGuardSettingSchema,
} from "../../../shared/platform/job-options.ts";
import { OUTPUT_FORMATS } from "../../../shared/platform/job-results.ts";
import { OPTIMIZATION_METHODS } from "../../../shared/platform/job-config.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { authErrors } from "../responses.ts";
import { MODEL_OPTION_SCHEMAS } from "../generation/model-config.ts";
import { MODEL_TYPES } from "../generation/request-shape.ts";
import { describeOptions, hyperparameterSchema } from "./config-shape.ts";
import { readPlatformLimits } from "./platform-limits.ts";

const MODEL_SUMMARIES: Record<(typeof MODEL_TYPES)[number], string> = {
  ctgan: "Conditional tabular GAN (Xu et al., NeurIPS 2019; defaults of sdv-dev/CTGAN's CTGANSynthesizer)",
  tvae: "Tabular variational autoencoder (Xu et al., NeurIPS 2019; defaults of sdv-dev/CTGAN's TVAESynthesizer)",
  gaussian_copula:
    "Gaussian copula over per-column marginals (SDV's GaussianCopulaSynthesizer); no training epochs",
};

const catalogueSchema = z.record(z.string(), hyperparameterSchema);

const configSchema = z
  .object({
    models: z.record(
      z.enum(MODEL_TYPES),
      z.object({
        model_type: z.enum(MODEL_TYPES),
        description: z.string(),
        hyperparameters: catalogueSchema,
      }),
    ),
    output_formats: z.array(z.enum(OUTPUT_FORMATS)),
    optimization_methods: z.array(z.enum(OPTIMIZATION_METHODS)),
    privacy_guard: catalogueSchema,
    evaluation: catalogueSchema,
    limits: z.object({
      max_sample_size: z.number().int(),
      max_epochs: z.number().int(),
      max_active_jobs_per_user: z.number().int(),
      max_conditions: z.number().int(),
      generation_requires_approval: z.boolean(),
    }),
  })
  .openapi("GenerationConfig");

export const route = createRoute({
  method: "get",
  path: "/generation-v2/config",
  tags: ["generation-v2"],
  summary: "Every model's hyperparameters with default, range and description, and the platform's limits",
  description:
    "Generated from the models' zod schemas (shared/synth); maxima are the platform's caps (validate_model_config and platform_settings), i.e. what /generation-v2/start accepts.",
  security: [{ bearer: [] }],
  responses: {
    200: {
      description: "The catalogue",
      content: { "application/json": { schema: envelopeOf(configSchema) } },
    },
    ...authErrors,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const limits = await asCaller(deps, user, readPlatformLimits);
    const models = Object.fromEntries(
      MODEL_TYPES.map((model) => [
        model,
        {
          model_type: model,
          description: MODEL_SUMMARIES[model],
          hyperparameters: describeOptions(
            MODEL_OPTION_SCHEMAS[model],
            limits.modelSpec[model] ?? {},
            limits.settings,
          ),
        },
      ]),
    ) as z.infer<typeof configSchema>["models"];
    return ok(c, deps, {
      models,
      output_formats: [...OUTPUT_FORMATS],
      optimization_methods: [...OPTIMIZATION_METHODS],
      privacy_guard: describeOptions(privacyGuardSettingSchema, {}, limits.settings),
      evaluation: describeOptions(evaluationSettingSchema, {}, limits.settings),
      limits: {
        max_sample_size: limits.maxSampleSize,
        max_epochs: limits.maxEpochs,
        max_active_jobs_per_user: limits.maxActiveJobs,
        max_conditions: MAX_CONDITIONS,
        generation_requires_approval: limits.requiresApproval,
      },
    });
  });
}
