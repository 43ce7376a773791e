import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTable } from "./load.ts";

const DIR = "/work/shared/datasets";
const datasetsDir = (() => {
  for (const d of [DIR, join(process.cwd(), "..", "shared", "datasets")]) {
    try {
      if (readdirSync(d).some((f) => f.endsWith(".meta.json"))) return d;
    } catch {
      // try the next location
    }
  }
  throw new Error("shared datasets not found (expected ../shared/datasets)");
})();
const metas = readdirSync(datasetsDir).filter((f) => f.endsWith(".meta.json"));

describe("inference on the shared datasets", () => {
  it("finds the datasets", () => {
    expect(metas.length).toBeGreaterThanOrEqual(4);
  });

  for (const file of metas) {
    const meta = JSON.parse(readFileSync(join(datasetsDir, file), "utf8")) as {
      file: string;
      rows: number;
      column_types: Record<string, string>;
      missing_values: Record<string, number>;
    };
    it(`${meta.file}: column types, rows and missing counts agree with the .meta.json`, async () => {
      const bytes = new Uint8Array(readFileSync(join(datasetsDir, meta.file)));
      const loaded = await loadTable(bytes, { fileName: meta.file });
      expect(loaded.format).toBe("csv");
      const inferred = Object.fromEntries(loaded.metadata.columns.map((c) => [c.name, c.sdtype]));
      expect(inferred).toEqual(meta.column_types);
      expect(loaded.table.data[0].length).toBe(meta.rows);
      const missing = Object.fromEntries(
        loaded.table.columns.map((c, j) => [c, loaded.table.data[j].filter((v) => v === null).length]),
      );
      expect(missing).toEqual(meta.missing_values);
      // Typed cells follow the final metadata.
      loaded.metadata.columns.forEach((c, j) => {
        const kinds = new Set(loaded.table.data[j].filter((v) => v !== null).map((v) => typeof v));
        expect([...kinds]).toEqual([c.sdtype === "numerical" ? "number" : "string"]);
      });
    });
  }
});
