import { z } from "@hono/zod-openapi";
import { estimateFit } from "../../../shared/synth/estimate.ts";
import type { JobDataset } from "../generation/create-request.ts";
import type { StartV2Body } from "../generation/start-body.ts";
import { fitInputOf } from "./fit-input.ts";

/** The estimate as the API answers it: shared/synth/estimate.ts estimateFit(), in snake case. */
export const estimateSchema = z
  .object({
    fit_seconds: z.number(),
    sample_seconds: z.number(),
    peak_memory_bytes: z.number(),
    basis: z.string(),
    batch_size: z.number().int().nullable(),
    steps_per_epoch: z.number().int().nullable(),
    epochs: z.number().int().nullable(),
    seconds_per_epoch: z.number().nullable(),
    transformed_width: z.number().int().nullable(),
  })
  .openapi("FitEstimate");
export type Estimate = z.infer<typeof estimateSchema>;

/** null when the dataset's row count or columns are not known (not profiled yet). */
export function estimateOf(body: StartV2Body, dataset: JobDataset): Estimate | null {
  const input = fitInputOf(body, dataset);
  if (input === null) return null;
  const e = estimateFit(input);
  return {
    fit_seconds: e.fitSeconds,
    sample_seconds: e.sampleSeconds,
    peak_memory_bytes: e.peakMemoryBytes,
    basis: e.basis,
    batch_size: e.batchSize,
    steps_per_epoch: e.stepsPerEpoch,
    epochs: e.epochs,
    seconds_per_epoch: e.secondsPerEpoch,
    transformed_width: e.transformedWidth,
  };
}
