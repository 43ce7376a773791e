import { z } from "@hono/zod-openapi";
import type { JobDataset } from "../generation/create-request.ts";
import type { StartV2Body } from "../generation/start-body.ts";
import { fitInputOf } from "./fit-input.ts";

/** The estimate as the API answers it (shared/synth/estimate.ts estimateFit, in snake case). */
export const estimateSchema = z
  .object({
    fit_seconds: z.number(),
    sample_seconds: z.number(),
    peak_memory_bytes: z.number(),
    basis: z.string(),
  })
  .openapi("FitEstimate");
export type Estimate = z.infer<typeof estimateSchema>;

export function estimateOf(body: StartV2Body, dataset: JobDataset): Estimate | null {
  const input = fitInputOf(body, dataset);
  if (input === null) return null;
  // Wired to estimateFit() once shared/synth/estimate.ts (branch h/estimate) is merged.
  return null;
}
