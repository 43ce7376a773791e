import { describe, expect, it } from "vitest";
import { isSynthError } from "../errors.ts";
import { createRng, type Rng } from "../random.ts";
import { FILE_FORMATS, type FileFormat } from "./formats.ts";
import { loadTable } from "./load.ts";
import type { TableMetadata } from "./metadata.ts";
import { fromRows } from "./table.ts";
import { writeTable } from "./write.ts";

/** Parquet gets more: its decoder trusts page contents most, and the checks in parquet-read.ts guard it. */
const MUTANTS: Record<FileFormat, number> = { csv: 120, json: 120, jsonl: 120, xlsx: 120, parquet: 400 };

const table = fromRows(
  ["id", "x", "cat", "when", "flag", "note"],
  Array.from({ length: 40 }, (_, i) => [
    `k${i}`,
    i % 7 === 0 ? null : i * 1.25 - 10,
    ["red", "green", "blue"][i % 3],
    new Date(Date.UTC(2021, 0, 1 + i)),
    i % 2 === 0,
    i % 5 === 0 ? `a "quoted", multi\nline ${i}` : `plain ${i}`,
  ]),
);
const metadata: TableMetadata = {
  columns: [
    { name: "id", sdtype: "id" },
    { name: "x", sdtype: "numerical" },
    { name: "cat", sdtype: "categorical" },
    { name: "when", sdtype: "datetime", datetimeFormat: "%Y-%m-%d" },
    { name: "flag", sdtype: "boolean" },
    { name: "note", sdtype: "text" },
  ],
};

/** One random damage: flipped bytes, a cut, inserted junk, a repeated slice, or a zeroed run. */
function mutate(bytes: Uint8Array, rng: Rng): Uint8Array {
  const out = bytes.slice();
  const at = rng.int(out.length);
  switch (rng.int(5)) {
    case 0:
      for (let k = 0; k < 1 + rng.int(8); k++) out[rng.int(out.length)] = rng.int(256);
      return out;
    case 1:
      return out.slice(0, at);
    case 2: {
      const junk = Uint8Array.from({ length: 1 + rng.int(32) }, () => rng.int(256));
      const r = new Uint8Array(out.length + junk.length);
      r.set(out.subarray(0, at));
      r.set(junk, at);
      r.set(out.subarray(at), at + junk.length);
      return r;
    }
    case 3: {
      const len = Math.min(out.length - at, 1 + rng.int(64));
      const r = new Uint8Array(out.length + len);
      r.set(out.subarray(0, at + len));
      r.set(out.subarray(at, at + len), at + len);
      r.set(out.subarray(at + len), at + 2 * len);
      return r;
    }
    default:
      out.fill(0, at, Math.min(out.length, at + 1 + rng.int(64)));
      return out;
  }
}

describe("damaged files never escape as untyped errors", () => {
  for (const format of FILE_FORMATS) {
    it(`${format}: ${MUTANTS[format]} seeded mutants each read or give a SynthError`, async () => {
      const original = await writeTable(table, metadata, format);
      const rng = createRng(1234 + FILE_FORMATS.indexOf(format));
      const outcomes = { read: 0, refused: 0 };
      for (let m = 0; m < MUTANTS[format]; m++) {
        const damaged = mutate(original, rng);
        try {
          const loaded = await loadTable(damaged, { fileName: `f.${format}` as `f.${FileFormat}` });
          // Whatever was read is a consistent table.
          const n = loaded.table.data[0].length;
          expect(loaded.table.data.every((col) => col.length === n)).toBe(true);
          expect(loaded.metadata.columns.map((c) => c.name)).toEqual(loaded.table.columns);
          outcomes.read++;
        } catch (error) {
          if (!isSynthError(error))
            throw new Error(`mutant ${m} of ${format} escaped: ${String(error)}`, { cause: error });
          outcomes.refused++;
        }
      }
      expect(outcomes.read + outcomes.refused).toBe(MUTANTS[format]);
      expect(outcomes.refused).toBeGreaterThan(0);
    });
  }
});
