import { z } from "@hono/zod-openapi";
import type { JobDataset } from "../generation/create-request.ts";
import type { StartV2Body } from "../generation/start-body.ts";

/**
 * The input of shared/synth/estimate.ts estimateFit() for one request: training rows (the dataset's,
 * less the evaluation holdout), the learned columns by kind from the column metadata (ids, free text and
 * personal data are regenerated, not learned), the one-hot width from the profile's distinct counts when
 * it has them, and the epochs, batch size and sample size asked for.
 */
export interface FitInput {
  model: "ctgan" | "tvae" | "gaussian_copula";
  rows: number;
  columns: { numerical: number; categorical: number; categoriesTotal?: number };
  epochs?: number;
  batchSize?: number;
  sampleSize: number;
}

/** The transformer keeps at most this many levels per column plus "other" (transformerOptionsSchema). */
const MAX_CATEGORIES = 500;

const profileSchema = z.object({
  columnProfiles: z.array(
    z.object({ name: z.string(), distinct: z.number(), missing: z.number().optional() }),
  ),
});

export function fitInputOf(body: StartV2Body, dataset: JobDataset): FitInput | null {
  if (dataset.metadata === null || dataset.row_count === null || dataset.row_count < 1) return null;
  let numerical = 0;
  const categorical: string[] = [];
  for (const c of dataset.metadata.columns) {
    if (c.pii !== undefined || c.constant === true) continue;
    if (c.sdtype === "numerical" || c.sdtype === "datetime") numerical += 1;
    if (c.sdtype === "categorical" || c.sdtype === "boolean") categorical.push(c.name);
  }
  if (numerical + categorical.length === 0) return null;
  const profile = profileSchema.safeParse(dataset.profile);
  let categoriesTotal: number | undefined;
  if (profile.success) {
    const byName = new Map(profile.data.columnProfiles.map((p) => [p.name, p]));
    const levels = categorical.map((name) => {
      const p = byName.get(name);
      return p === undefined
        ? null
        : Math.min(p.distinct + ((p.missing ?? 0) > 0 ? 1 : 0), MAX_CATEGORIES + 1);
    });
    if (levels.every((n) => n !== null)) categoriesTotal = levels.reduce((s, n) => s + (n as number), 0);
  }
  const holdout = body.evaluation?.holdout_fraction ?? 0;
  const config = body.model_config;
  return {
    model: config.model_type,
    rows: Math.max(1, Math.round(dataset.row_count * (1 - holdout))),
    columns: {
      numerical,
      categorical: categorical.length,
      ...(categoriesTotal === undefined ? {} : { categoriesTotal }),
    },
    ...(typeof config.epochs === "number" && config.model_type !== "gaussian_copula"
      ? { epochs: config.epochs }
      : {}),
    ...(typeof config.batch_size === "number" ? { batchSize: config.batch_size } : {}),
    sampleSize: body.sample_size,
  };
}
