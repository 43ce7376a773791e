/**
 * Training matrices of the shared datasets (and the wide bench fixtures) under the reference protocol (shared/reference/README.md): column
 * types from the .meta.json, rows with a missing number dropped, a seeded 70% split, then the project's
 * reversible transformer (shared/synth/transformer). Node-only (reads files).
 */
import { readFileSync } from "node:fs";
import type { Cell, Table } from "../../shared/data/table.ts";
import type { TableMetadata } from "../../shared/data/metadata.ts";
import { createRng, permutation } from "../../shared/random.ts";
import type { TrainingMatrix } from "../../shared/synth/matrix-model.ts";
import { DataTransformer } from "../../shared/synth/transformer/transformer.ts";
import { datasetFiles } from "./dataset-files.ts";

interface DatasetMeta {
  column_types: Record<string, "numerical" | "categorical" | "datetime" | "id">;
}

/** RFC 4180 fields of R's write.csv output (quoted strings, empty field = NA). */
function parseCsv(text: string): { header: string[]; rows: (string | null)[][] } {
  const records: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let field = "";
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') {
      quoted = true;
      wasQuoted = true;
    } else if (ch === "," || ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field === "" && !wasQuoted ? null : field);
      field = "";
      wasQuoted = false;
      if (ch !== ",") {
        records.push(row);
        row = [];
      }
    } else field += ch;
  }
  if (field !== "" || row.length > 0) records.push([...row, field === "" && !wasQuoted ? null : field]);
  const [header, ...rows] = records;
  return { header: header.map((h) => h ?? ""), rows };
}

export interface PreparedDataset {
  name: string;
  table: Table;
  metadata: TableMetadata;
  matrix: TrainingMatrix;
  transformerSeconds: number;
}

export function loadDataset(name: string, seed = 0): PreparedDataset {
  const files = datasetFiles(name);
  const meta = JSON.parse(readFileSync(files.meta, "utf8")) as DatasetMeta;
  const { header, rows } = parseCsv(readFileSync(files.csv, "utf8"));
  const numeric = header.map((h) => meta.column_types[h] === "numerical");
  const kept = rows.filter(
    (r) => r.length === header.length && numeric.every((isNum, j) => !isNum || r[j] !== null),
  );
  const order = permutation(kept.length, createRng(seed));
  const fitRows = Array.from(order.subarray(0, Math.round(kept.length * 0.7)), (i) => kept[i]);
  const data: Cell[][] = header.map((_, j) =>
    fitRows.map((r) => (r[j] === null ? null : numeric[j] ? Number(r[j]) : (r[j] as string))),
  );
  const table: Table = { columns: header, data };
  const metadata: TableMetadata = {
    columns: header.map((h, j) => ({ name: h, sdtype: numeric[j] ? "numerical" : "categorical" })),
  };
  const t0 = performance.now();
  const rng = createRng(seed + 1);
  const transformer = DataTransformer.fit(table, metadata, rng);
  const matrix = transformer.transform(table, rng);
  return { name, table, metadata, matrix, transformerSeconds: (performance.now() - t0) / 1000 };
}
