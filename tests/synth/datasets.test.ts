import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { initNodeBackend } from "../../cli/tf-backend.ts";
import { loadTable } from "../../shared/data/load.ts";
import type { Cell, Table } from "../../shared/data/table.ts";
import type { TableMetadata } from "../../shared/data/metadata.ts";
import { Synthesizer } from "../../shared/synth/synthesizer.ts";
import { MODEL_KINDS } from "../../shared/synth/models.ts";

/** On the real shared datasets, with a couple of epochs, every model's output looks like the real table. */
const DATASETS = ["penguins", "credit_data"];

/** The shared datasets sit next to the repository (../shared/datasets), as in the issue. */
const datasetsDir = [
  fileURLToPath(new URL("../../../shared/datasets/", import.meta.url)),
  "/work/shared/datasets/",
].find((d) => existsSync(d));

async function load(name: string): Promise<{ table: Table; metadata: TableMetadata }> {
  if (datasetsDir === undefined) throw new Error("shared datasets not found (expected ../shared/datasets)");
  const bytes = readFileSync(`${datasetsDir}${name}.csv`);
  return loadTable(bytes, { fileName: `${name}.csv` });
}

function decimalsOf(v: number): number {
  const s = String(v);
  return s.includes(".") ? s.length - s.indexOf(".") - 1 : 0;
}

beforeAll(async () => {
  await initNodeBackend({ backend: "wasm" });
});

describe.each(DATASETS)("%s", (name) => {
  for (const kind of MODEL_KINDS) {
    it(`${kind} keeps the real columns, types, categories and ranges`, async () => {
      const { table, metadata } = await load(name);
      const synth = await Synthesizer.fit(table, metadata, {
        model: kind,
        modelConfig: kind === "gaussian_copula" ? {} : { epochs: 2 },
        seed: 1,
      });
      const rows = 1000;
      const out = await synth.sample(rows, { seed: 2 });
      synth.dispose();
      expect(out.columns).toEqual(table.columns);
      metadata.columns.forEach((meta) => {
        const j = table.columns.indexOf(meta.name);
        const real = table.data[j].filter((v): v is Exclude<Cell, null> => v !== null);
        const syn = out.data[j];
        expect(syn).toHaveLength(rows);
        const present = syn.filter((v): v is Exclude<Cell, null> => v !== null);
        // Missing values only where the real column has them; the copula (no training to speak of) also
        // keeps the real missing rate. Two epochs of a neural model promise the format, not the quality.
        if (real.length === table.data[j].length) expect(present).toHaveLength(rows);
        const realRate = 1 - real.length / table.data[j].length;
        if (kind === "gaussian_copula")
          expect(Math.abs(1 - present.length / rows - realRate)).toBeLessThan(0.03);
        if (meta.sdtype === "numerical") {
          const values = present as number[];
          expect(values.every((v) => typeof v === "number" && Number.isFinite(v))).toBe(true);
          const r = real as number[];
          expect(Math.min(...values)).toBeGreaterThanOrEqual(Math.min(...r));
          expect(Math.max(...values)).toBeLessThanOrEqual(Math.max(...r));
          if (meta.computerRepresentation === "Int64") expect(values.every(Number.isInteger)).toBe(true);
          if (meta.decimals !== undefined) {
            expect(values.every((v) => decimalsOf(v) <= (meta.decimals as number))).toBe(true);
          }
          if (kind === "gaussian_copula") {
            expect(new Set(values).size).toBeGreaterThanOrEqual(Math.min(20, new Set(r).size));
          }
        } else {
          const levels = new Set(real);
          expect(present.every((v) => typeof v === "string" && levels.has(v))).toBe(true);
          if (kind === "gaussian_copula") expect(new Set(present).size).toBe(levels.size);
        }
      });
    });
  }
});
