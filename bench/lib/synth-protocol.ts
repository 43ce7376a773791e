/**
 * The reference protocol (shared/reference/README.md) for the synth benchmark: column types and target from
 * the dataset's .meta.json (every categorical, 0/1 flags included, is discrete), rows with a missing number
 * dropped, a seeded 70/30 split stratified on the target for classification. Read through shared/data.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadTable } from "../../shared/data/load.ts";
import type { Table } from "../../shared/data/table.ts";
import { takeRows } from "../../shared/data/table.ts";
import type { TableMetadata } from "../../shared/data/metadata.ts";
import { createRng, permutation } from "../../shared/random.ts";
import { datasetFiles, FIXTURE_DATASETS, SHARED_DATASETS_DIR } from "./dataset-files.ts";

export const DATASETS_DIR = SHARED_DATASETS_DIR;
export const REFERENCE_JSON = join(DATASETS_DIR, "..", "reference", "reference.json");
/** The shared tables, then the wide fixtures (bench/fixtures/make-fixtures.R; an error says how if missing). */
export const DATASETS = ["penguins", "credit_data", "wa_churn", "CPS1988", "attrition", ...FIXTURE_DATASETS];

interface DatasetMeta {
  rows: number;
  column_types: Record<string, "numerical" | "categorical" | "datetime" | "id">;
  target: string;
  task: "classification" | "regression";
}

export interface ProtocolDataset {
  name: string;
  train: Table;
  test: Table;
  metadata: TableMetadata;
  /** Rows of the full dataset: how many the protocol samples. */
  fullRows: number;
  target: string;
}

export async function loadProtocolDataset(name: string, seed = 0): Promise<ProtocolDataset> {
  const files = datasetFiles(name);
  const meta = JSON.parse(readFileSync(files.meta, "utf8")) as DatasetMeta;
  const declared: TableMetadata = {
    columns: Object.entries(meta.column_types).map(([column, type]) => ({
      name: column,
      sdtype:
        type === "numerical"
          ? "numerical"
          : type === "datetime"
            ? "datetime"
            : type === "id"
              ? "id"
              : "categorical",
    })),
  };
  const { table, metadata } = await loadTable(readFileSync(files.csv), {
    fileName: `${name}.csv`,
    metadata: declared,
  });
  const numeric = metadata.columns
    .filter((c) => c.sdtype === "numerical")
    .map((c) => table.columns.indexOf(c.name));
  const n = table.data[0].length;
  const complete: number[] = [];
  for (let i = 0; i < n; i++) if (numeric.every((j) => table.data[j][i] !== null)) complete.push(i);
  const rng = createRng(seed);
  const train: number[] = [];
  const test: number[] = [];
  const groups = new Map<string, number[]>();
  const t = table.columns.indexOf(meta.target);
  for (const i of complete) {
    const key = meta.task === "classification" ? String(table.data[t][i]) : "all";
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  for (const key of [...groups.keys()].sort()) {
    const rows = groups.get(key) as number[];
    const order = permutation(rows.length, rng);
    const cut = Math.round(rows.length * 0.7);
    order.forEach((o, k) => (k < cut ? train : test).push(rows[o]));
  }
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  return {
    name,
    train: takeRows(table, train),
    test: takeRows(table, test),
    metadata,
    fullRows: meta.rows,
    target: meta.target,
  };
}
