import { describe, expect, it } from "vitest";
import { createRng } from "../../random.ts";
import { fromRows } from "../../data/table.ts";
import type { Cell } from "../../data/table.ts";
import type { TableMetadata } from "../../data/metadata.ts";
import { DataTransformer } from "./transformer.ts";

function sampleTable(n: number) {
  const rng = createRng(11);
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    const group = rng.next() < 0.4;
    rows.push([
      `C-${String(i).padStart(5, "0")}`,
      Number((group ? 20 + 3 * rng.normal() : 80 + 10 * rng.normal()).toFixed(2)),
      rng.next() < 0.1 ? null : Math.round(1000 + 200 * rng.normal()),
      ["red", "green", "blue"][rng.int(3)],
      rng.next() < 0.3,
      new Date(Date.UTC(2020, 0, 1) + rng.int(1000) * 86_400_000),
      "same",
      rng.next() < 0.05 ? null : ["a", "b"][rng.int(2)],
    ]);
  }
  const columns = ["id", "score", "amount", "colour", "flag", "day", "constant", "grade"];
  const table = fromRows(columns, rows);
  const metadata: TableMetadata = {
    columns: [
      { name: "id", sdtype: "id" },
      { name: "score", sdtype: "numerical", computerRepresentation: "Float" },
      { name: "amount", sdtype: "numerical", computerRepresentation: "Int64" },
      { name: "colour", sdtype: "categorical" },
      { name: "flag", sdtype: "boolean" },
      { name: "day", sdtype: "datetime", datetimeFormat: "%Y-%m-%d" },
      { name: "constant", sdtype: "categorical" },
      { name: "grade", sdtype: "categorical" },
    ],
    primaryKey: "id",
  };
  return { table, metadata };
}

describe("DataTransformer", () => {
  it("lays out spans as the reference's output_info and round-trips in-range values exactly", () => {
    const { table, metadata } = sampleTable(800);
    const transformer = DataTransformer.fit(table, metadata, createRng(1));
    const matrix = transformer.transform(table, createRng(2));
    expect(matrix.columns.map((c) => c.column)).toEqual([
      "score",
      "amount",
      "amount#missing",
      "colour",
      "flag",
      "day",
      "grade",
    ]);
    const score = matrix.columns[0];
    expect(score.kind).toBe("continuous");
    expect(score.spans[0]).toEqual({ dim: 1, activation: "tanh" });
    expect(score.spans[1].activation).toBe("softmax");
    expect(score.spans[1].dim).toBeGreaterThanOrEqual(2);
    expect(matrix.width).toBe(matrix.columns.reduce((a, c) => a + c.spans.reduce((b, s) => b + s.dim, 0), 0));
    for (let i = 0; i < matrix.data.length; i++) {
      expect(Math.abs(matrix.data[i])).toBeLessThanOrEqual(1);
    }

    const back = transformer.inverse(matrix.data, matrix.rows, createRng(3));
    expect(back.columns).toEqual(table.columns);
    // Continuous offsets: score at 0, amount right after score's span.
    const scoreOffset = 0;
    const amountOffset = 1 + score.spans[1].dim;
    let clipped = 0;
    for (let i = 0; i < matrix.rows; i++) {
      for (const [name, offset] of [
        ["score", scoreOffset],
        ["amount", amountOffset],
      ] as const) {
        const j = table.columns.indexOf(name);
        const alpha = matrix.data[i * matrix.width + offset];
        if (table.data[j][i] === null) expect(back.data[j][i]).toBeNull();
        else if (Math.abs(alpha) < 0.99 - 1e-6) expect(back.data[j][i]).toBe(table.data[j][i]);
        else clipped++;
      }
      for (const name of ["colour", "flag", "grade", "constant"]) {
        const j = table.columns.indexOf(name);
        expect(back.data[j][i]).toBe(table.data[j][i]);
      }
      const day = table.columns.indexOf("day");
      expect((back.data[day][i] as Date).getTime()).toBe((table.data[day][i] as Date).getTime());
    }
    expect(clipped).toBeLessThan(matrix.rows * 0.02);
    const ids = back.data[0];
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((v) => typeof v === "string" && v.startsWith("C-"))).toBe(true);
  });

  it("is deterministic for a seed", () => {
    const { table, metadata } = sampleTable(400);
    const t = DataTransformer.fit(table, metadata, createRng(5));
    const a = t.transform(table, createRng(6));
    const b = t.transform(table, createRng(6));
    expect(new Uint8Array(a.data.buffer)).toEqual(new Uint8Array(b.data.buffer));
  });

  it("clips and rounds decoded values to the real range unless told not to", () => {
    const { table, metadata } = sampleTable(300);
    const strict = DataTransformer.fit(table, metadata, createRng(1));
    const loose = DataTransformer.fit(table, metadata, createRng(1), {
      enforceMinMaxValues: false,
      enforceRounding: false,
    });
    const m = strict.transform(table, createRng(2));
    // Push every continuous scalar to the edge: beyond the real range for the outer components.
    for (let i = 0; i < m.rows; i++) m.data[i * m.width] = 1;
    const scoreJ = table.columns.indexOf("score");
    const realMax = Math.max(...(table.data[scoreJ] as number[]));
    const s = strict.inverse(m.data, m.rows, createRng(3)).data[scoreJ] as number[];
    const l = loose.inverse(m.data, m.rows, createRng(3)).data[scoreJ] as number[];
    expect(Math.max(...s)).toBeLessThanOrEqual(realMax);
    expect(Math.max(...l)).toBeGreaterThan(realMax);
    expect(s.every((v) => Number(v.toFixed(2)) === v)).toBe(true);
    expect(l.some((v) => Number(v.toFixed(2)) !== v)).toBe(true);
  });

  it("keeps at most maxCategories one-hot slots plus one for the rare levels", () => {
    const n = 3000;
    const rng = createRng(8);
    const rows: Cell[][] = [];
    for (let i = 0; i < n; i++) rows.push([i < 2000 ? `common${i % 20}` : `rare${i}`]);
    const table = fromRows(["city"], rows);
    const t = DataTransformer.fit(table, { columns: [{ name: "city", sdtype: "categorical" }] }, rng, {
      maxCategories: 50,
    });
    expect(t.width).toBe(51);
    const m = t.transform(table, createRng(1));
    const back = t.inverse(m.data, m.rows, createRng(2)).data[0] as string[];
    // 20 common levels then the first 30 rare ones (ties keep first-seen order) hold the 50 slots.
    expect(back.slice(0, 2030)).toEqual(table.data[0].slice(0, 2030));
    // A row in the "other" slot comes back as one of the rarer levels (not one of the top 50).
    const top = new Set(t.specs[0].kind === "categorical" ? t.specs[0].levels.slice(0, 50) : []);
    const rest = back.slice(2030);
    expect(new Set(rest).size).toBeGreaterThan(100);
    expect(rest.every((v) => typeof v === "string" && !top.has(v))).toBe(true);
  });

  it("round-trips its state through JSON", () => {
    const { table, metadata } = sampleTable(200);
    const t = DataTransformer.fit(table, metadata, createRng(1));
    const copy = DataTransformer.fromState(JSON.parse(JSON.stringify(t.state)));
    const a = t.transform(table, createRng(4));
    const b = copy.transform(table, createRng(4));
    expect(b.data).toEqual(a.data);
    expect(copy.columns).toEqual(t.columns);
  });
});

describe("datetime columns given as text", () => {
  it("come back as text in the column's format, at the data's granularity", () => {
    const rng = createRng(4);
    const rows: Cell[][] = Array.from({ length: 300 }, () => {
      const d = new Date(Date.UTC(2021, 0, 1) + rng.int(500) * 86_400_000 + 3_600_000 * rng.int(24));
      return [`${d.toISOString().slice(0, 13).replace("T", " ")}h`];
    });
    const table = fromRows(["when"], rows);
    const metadata: TableMetadata = {
      columns: [{ name: "when", sdtype: "datetime", datetimeFormat: "%Y-%m-%d %Hh" }],
    };
    const t = DataTransformer.fit(
      fromRows(
        ["when"],
        rows.map((r) => [new Date(`${String(r[0]).slice(0, 13).replace(" ", "T")}:00:00Z`)]),
      ),
      metadata,
      createRng(1),
    );
    expect(t.specs[0]).toMatchObject({ kind: "numeric", datetimeUnitMs: 3_600_000, representation: "date" });
    const text = DataTransformer.fit(table, metadata, createRng(1));
    const m = text.transform(table, createRng(2));
    const back = text.inverse(m.data, m.rows, createRng(3)).data[0] as string[];
    expect(back.every((v) => /^\d{4}-\d{2}-\d{2} \d{2}h$/.test(v))).toBe(true);
  });
});
