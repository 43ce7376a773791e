import { z } from "zod";

/**
 * The shape of what a user may ask of an optimisation, as the API accepts it. The database checks the
 * same rules in SQL (supabase/migrations/20261202000300_job_limits.sql: validate_optimization_config,
 * validate_search_space, validate_optimization_budget) and adds the platform's upper bounds, which are
 * settings (max_optimization_trials, max_optimization_wall_time_seconds); tests/db/hardening.test.ts keeps
 * the two in agreement. Hyperparameter values themselves follow the models' zod schemas in shared/synth.
 */
export const OPTIMIZATION_METHODS = ["grid", "random", "bayesian"] as const;

/** Most values one search-space dimension may list (SQL: search_space_max_choices()). */
export const SEARCH_SPACE_MAX_CHOICES = 100;

export const optimizationBudgetSchema = z
  .object({
    max_trials: z.number().int().positive().optional(),
    max_wall_time_seconds: z.number().int().positive().optional(),
  })
  .strict();
export type OptimizationBudget = z.infer<typeof optimizationBudgetSchema>;

/** One dimension: a list of values to choose from, or a numeric range (log-uniform when `log`). */
export const searchDimensionSchema = z.union([
  z.array(z.unknown()).min(1).max(SEARCH_SPACE_MAX_CHOICES),
  z
    .object({ min: z.number(), max: z.number(), log: z.boolean().optional() })
    .strict()
    .refine((r) => r.min <= r.max, "min must not exceed max")
    .refine((r) => !r.log || r.min > 0, "a log range must start above 0"),
]);

export const searchSpaceSchema = z.record(z.string(), searchDimensionSchema);

export const optimizationConfigSchema = z
  .object({
    method: z.enum(OPTIMIZATION_METHODS),
    search_space: searchSpaceSchema,
    budget: optimizationBudgetSchema.optional(),
    metric: z.string().min(1).max(100).optional(),
  })
  .strict();
export type OptimizationConfig = z.infer<typeof optimizationConfigSchema>;
