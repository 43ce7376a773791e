import { randomUUID } from "node:crypto";
import { createDataset, createGeneration } from "../db/fixtures.ts";
import type { DiskStorageFixture } from "./disk-storage.ts";
import type { ApiResponse, ApiUser, Harness } from "./harness.ts";

/** Column metadata of the datasets these tests start jobs on (insurance-like: two categorical columns). */
export const META = {
  columns: [
    { name: "age", sdtype: "numerical" },
    { name: "smoker", sdtype: "categorical" },
    { name: "region", sdtype: "categorical" },
    { name: "charges", sdtype: "numerical" },
  ],
};

/** A ready dataset with column metadata and a profile, as the upload routes leave one. */
export async function readyDataset(h: Harness, owner: { id: string }): Promise<string> {
  const id = await createDataset(h.su, owner.id);
  const profile = {
    rows: 1338,
    columns: 4,
    columnProfiles: [
      { name: "age", distinct: 47, missing: 0 },
      { name: "smoker", distinct: 2, missing: 0 },
      { name: "region", distinct: 4, missing: 0 },
      { name: "charges", distinct: 1337, missing: 0 },
    ],
  };
  await h.su`update public.datasets
                set column_metadata = ${h.su.json(META)}, profile = ${h.su.json(profile)},
                    row_count = 1338, column_count = 4
              where id = ${id}`;
  return id;
}

export const startBody = (datasetId: string, extra: Record<string, unknown> = {}) => ({
  dataset_id: datasetId,
  sample_size: 100,
  model_config: { model_type: "ctgan", epochs: 5 },
  output_format: "csv",
  seed: 7,
  ...extra,
});

export const post = (h: Harness, path: string, user: ApiUser | null, json: unknown): Promise<ApiResponse> =>
  h.call(path, { method: "POST", token: user?.token ?? null, json });

export interface SucceededJob {
  id: string;
  datasetId: string;
  csv: Uint8Array;
  json: Uint8Array;
  report: Uint8Array;
}

/**
 * A job the way the runner leaves one: queued -> running -> succeeded through the status machine, its
 * files uploaded with the service role into the owner's folder, result_paths and the quality summary set.
 */
export async function succeededJob(
  h: Harness,
  disk: DiskStorageFixture,
  owner: { id: string },
): Promise<SucceededJob> {
  const datasetId = await readyDataset(h, owner);
  const id = await createGeneration(h.su, owner.id, datasetId);
  const store = disk.storage().asServiceRole("tests: the runner's uploads");
  const text = (s: string) => new TextEncoder().encode(s);
  const csv = text(`age,smoker\n${Math.floor(Math.random() * 90)},no\n`);
  const json = text(`[{"age":31,"smoker":"no"}]`);
  const report = text(`{"overall":0.87,"job":"${id}"}`);
  const folder = `${owner.id}/${id}`;
  await store.upload("synthetic", `${folder}/synthetic.csv`, csv, { contentType: "text/csv" });
  await store.upload("synthetic", `${folder}/synthetic.json`, json, { contentType: "application/json" });
  await store.upload("reports", `${folder}/report.json`, report, { contentType: "application/json" });
  const paths = {
    data: { csv: `${folder}/synthetic.csv`, json: `${folder}/synthetic.json` },
    report: `${folder}/report.json`,
  };
  await h.su`update public.generation_requests set status = 'running', locked_by = 'runner-1',
               locked_until = now() + interval '1 minute' where id = ${id}`;
  await h.su`update public.generation_requests set status = 'succeeded', result_paths = ${h.su.json(paths)},
               quality_summary = ${h.su.json({ overall: 0.87, column_shapes: 0.9, column_pair_trends: 0.84 })},
               progress = ${h.su.json({ phase: "uploading", epoch: 5, epochs: 5, losses: { generator: -0.4, discriminator: 0.1 }, elapsed_seconds: 12.5, eta_seconds: 0 })}
             where id = ${id}`;
  return { id, datasetId, csv, json, report };
}

export const randomId = () => randomUUID();
