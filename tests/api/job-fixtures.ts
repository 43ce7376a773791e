import type postgres from "postgres";
import { createDataset, createGeneration } from "../db/fixtures.ts";

/**
 * A generation request waiting for approval. The setting is switched on and off inside one transaction,
 * so no other test (files run in parallel on one database) ever sees approval required.
 */
export async function pendingGeneration(su: postgres.Sql, ownerId: string): Promise<string> {
  const dataset = await createDataset(su, ownerId);
  return su.begin(async (tx) => {
    await tx`update public.platform_settings set value = 'true' where key = 'generation_requires_approval'`;
    const [row] = await tx<{ id: string }[]>`
      insert into public.generation_requests (owner_id, dataset_id, model_type, sample_size)
      values (${ownerId}, ${dataset}, 'ctgan', 100) returning id`;
    await tx`update public.platform_settings set value = 'false' where key = 'generation_requires_approval'`;
    return row.id;
  }) as Promise<string>;
}

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
