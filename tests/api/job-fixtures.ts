import type postgres from "postgres";
import { createGeneration } from "../db/fixtures.ts";

export { createPendingGeneration as pendingGeneration } from "../db/fixtures.ts";

/** A request that ran and succeeded, with the runner's quality summary (the engine's report shape). */
export async function succeededGeneration(
  su: postgres.Sql,
  ownerId: string,
  datasetId: string,
  options: { sampleSize?: number; qualitySummary?: postgres.JSONValue | null } = {},
): Promise<string> {
  const id = await createGeneration(su, ownerId, datasetId);
  await su`update public.generation_requests set status = 'running', sample_size = ${options.sampleSize ?? 100}
           where id = ${id}`;
  await su`update public.generation_requests
              set status = 'succeeded',
                  quality_summary = ${options.qualitySummary === undefined || options.qualitySummary === null ? null : su.json(options.qualitySummary)}
            where id = ${id}`;
  return id;
}
