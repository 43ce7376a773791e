import { describe, expect, it } from "vitest";
import { fromRows, takeRows, type Cell, type Table } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { createRng, permutation } from "../random.ts";
import { reportMetadata, reportTables } from "../../tests/metrics/report-fixture.ts";
import { uniformRandomRows } from "./privacy.ts";
import { qualityReport } from "./quality.ts";
import { ksStatistic } from "./ks.ts";
import { tvComplement } from "./tv.ts";

const rows = (t: Table) => t.data[0].length;

/** Noise that ignores the real data: numbers uniform in [0, 1), categories drawn from labels it never had. */
function domainFreeNoise(real: Table, metadata: TableMetadata, seed: number): Table {
  const rng = createRng(seed);
  const n = rows(real);
  return {
    columns: [...real.columns],
    data: real.columns.map((name) => {
      const sdtype = metadata.columns.find((c) => c.name === name)!.sdtype;
      return Array.from({ length: n }, (): Cell => {
        if (sdtype === "numerical") return rng.next();
        if (sdtype === "datetime") return new Date(rng.next() * 1e6);
        return `noise-${rng.int(5)}`;
      });
    }),
  };
}

describe("quality report", () => {
  const { real } = reportTables(2000);

  it("scores a shuffled copy of the real table above 0.97", () => {
    const shuffled = takeRows(real, permutation(rows(real), createRng(3)));
    const q = qualityReport(real, shuffled, reportMetadata);
    expect(q.allPairs.overall).toBeGreaterThan(0.97);
    expect(q.relatedPairs.overall).toBeGreaterThan(0.97);
  });

  it("scores a disjoint random half of the real table against the other half above 0.9", () => {
    const perm = permutation(rows(real), createRng(4));
    const a = takeRows(real, perm.subarray(0, 1000));
    const b = takeRows(real, perm.subarray(1000));
    expect(qualityReport(a, b, reportMetadata).allPairs.overall).toBeGreaterThan(0.9);
  });

  it("scores uniform noise below 0.5", () => {
    const q = qualityReport(real, domainFreeNoise(real, reportMetadata, 5), reportMetadata);
    expect(q.allPairs.overall).toBeLessThan(0.5);
  });

  it("scores noise drawn uniformly within the real ranges and categories far below a real sample", () => {
    const noise = uniformRandomRows(real, reportMetadata, rows(real), createRng(6));
    const q = qualityReport(real, noise, reportMetadata);
    const income = q.columnShapes.find((s) => s.column === "income")!;
    // A skewed column against a uniform one: the KS complement collapses.
    expect(income.score).toBeLessThan(0.5);
    expect(q.allPairs.overall).toBeLessThan(0.75);
  });

  it("ignores missing values in KS and counts them as a category in TV", () => {
    expect(ksStatistic(new Float64Array([1, 2, NaN]), new Float64Array([1, 2]))).toBe(0);
    expect(tvComplement(["a", null, null, "a"], ["a", "a", "a", "a"])).toBeCloseTo(0.5, 12);
  });

  it("keeps only related pairs in the SDMetrics-style variant", () => {
    const meta: TableMetadata = {
      columns: [
        { name: "x", sdtype: "numerical" },
        { name: "y", sdtype: "numerical" },
        { name: "z", sdtype: "numerical" },
      ],
    };
    const rng = createRng(7);
    const make = (n: number) =>
      fromRows(
        ["x", "y", "z"],
        Array.from({ length: n }, () => {
          const x = rng.normal();
          return [x, x + 0.3 * rng.normal(), rng.normal()];
        }),
      );
    const q = qualityReport(make(500), make(500), meta);
    const related = q.columnPairTrends.filter((p) => p.related).map((p) => p.columns.join("/"));
    expect(related).toEqual(["x/y"]);
    expect(q.relatedPairs.pairsScored).toBe(1);
    expect(q.relatedPairs.pairsTotal).toBe(3);
    expect(q.relatedPairs.columnPairTrends).toBe(q.columnPairTrends[0].score);
  });

  it("leaves a pair with a constant column out of the mean instead of scoring it", () => {
    const meta: TableMetadata = {
      columns: [
        { name: "x", sdtype: "numerical" },
        { name: "k", sdtype: "numerical" },
      ],
    };
    const t = fromRows(
      ["x", "k"],
      [
        [1, 5],
        [2, 5],
        [3, 5],
      ],
    );
    const q = qualityReport(t, t, meta);
    expect(q.columnPairTrends[0].score).toBeNull();
    expect(q.allPairs.columnPairTrends).toBeNull();
    expect(q.allPairs.overall).toBe(1);
  });
});

describe("high-cardinality categories", () => {
  it("scores pairs of columns with thousands of levels without a dense table", () => {
    const n = 3000;
    const meta: TableMetadata = {
      columns: [
        { name: "a", sdtype: "categorical" },
        { name: "b", sdtype: "categorical" },
      ],
    };
    const real = fromRows(
      ["a", "b"],
      Array.from({ length: n }, (_, i) => [`a${i}`, `b${i}`]),
    );
    const q = qualityReport(real, real, meta);
    expect(q.columnPairTrends[0].score).toBe(1);
    // Every row its own level on both sides: perfectly associated.
    expect(q.columnPairTrends[0].realAssociation).toBeCloseTo(1, 9);
    const other = fromRows(
      ["a", "b"],
      Array.from({ length: n }, (_, i) => [`a${i}`, `b${(i + 1) % n}`]),
    );
    expect(qualityReport(real, other, meta).columnPairTrends[0].score).toBeCloseTo(0, 9);
    // Nothing in common: every score is 0 up to rounding, and never a rounding error below 0.
    const disjoint = fromRows(
      ["a", "b"],
      Array.from({ length: n }, (_, i) => [`x${i}`, `y${i}`]),
    );
    const q2 = qualityReport(real, disjoint, meta);
    for (const s of [...q2.columnShapes.map((c) => c.score), q2.columnPairTrends[0].score]) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeCloseTo(0, 9);
    }
  });
});

describe("wide tables", () => {
  /** `cols` columns of mixed kinds sharing one signal; `broken` draws c0 independently of the others. */
  const wide = (seed: number, cols: number, broken: boolean) => {
    const rng = createRng(seed);
    const names = Array.from({ length: cols }, (_, j) => `c${j}`);
    const rowsOut: Cell[][] = Array.from({ length: 200 }, () => {
      const base = rng.normal();
      return names.map((_, j) => {
        const v = (j === 0 && broken ? rng.normal() : base) + 0.5 * rng.normal();
        return j % 3 === 2 ? (v > 0 ? "hi" : "lo") : v;
      });
    });
    const meta: TableMetadata = {
      columns: names.map((name, j) => ({ name, sdtype: j % 3 === 2 ? "categorical" : "numerical" })),
    };
    return { table: fromRows(names, rowsOut), meta };
  };

  it("scores every pair but details at most maxPairDetails: the heatmap columns, the worst, a seeded sample", () => {
    const real = wide(1, 30, false);
    const synthetic = wide(2, 30, true).table;
    const full = qualityReport(real.table, synthetic, real.meta, { maxPairDetails: 10_000 });
    expect(full.pairDetails.selection).toBe("all");
    expect(full.columnPairTrends.length).toBe(435);
    const bounded = qualityReport(real.table, synthetic, real.meta, { maxPairDetails: 60, seed: 3 });
    const pd = bounded.pairDetails;
    // The same scores: every pair is averaged either way.
    expect(bounded.allPairs).toEqual(full.allPairs);
    expect(bounded.relatedPairs).toEqual(full.relatedPairs);
    expect(pd).toMatchObject({ total: 435, detailed: 60, selection: "bounded" });
    expect(bounded.columnPairTrends.length).toBe(60);
    // Heatmap of h columns with h (h - 1) / 2 <= 30 pairs: 8 columns, 28 pairs, all of them detailed.
    expect(pd.heatmapColumns.length).toBe(8);
    expect(pd.heatmapPairs).toBe(28);
    expect(pd.heatmapPairs + pd.worst + pd.sampled).toBe(60);
    const key = (p: { columns: [string, string] }) => p.columns.join("/");
    const detailed = new Set(bounded.columnPairTrends.map(key));
    for (let a = 0; a < pd.heatmapColumns.length; a++)
      for (let b = a + 1; b < pd.heatmapColumns.length; b++)
        expect(detailed.has(`${pd.heatmapColumns[a]}/${pd.heatmapColumns[b]}`)).toBe(true);
    // c0 is the column the synthetic table broke: it has the lowest mean pair score, so the heatmap shows it.
    expect(pd.heatmapColumns).toContain("c0");
    // The worst 16 pairs of all 435 are among the details, with the scores the full run gives them.
    const worst = [...full.columnPairTrends]
      .filter((p) => p.score !== null)
      .sort((a, b) => (a.score as number) - (b.score as number))
      .slice(0, 16);
    const byKey = new Map(bounded.columnPairTrends.map((p) => [key(p), p]));
    for (const p of worst) expect(byKey.get(key(p))).toEqual(p);
    // Table order, and the same selection for the same seed (a different one for another seed).
    const order = full.columnPairTrends.map(key);
    const positions = bounded.columnPairTrends.map((p) => order.indexOf(key(p)));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const again = qualityReport(real.table, synthetic, real.meta, { maxPairDetails: 60, seed: 3 });
    expect(again.columnPairTrends.map(key)).toEqual(bounded.columnPairTrends.map(key));
    const other = qualityReport(real.table, synthetic, real.meta, { maxPairDetails: 60, seed: 4 });
    expect(other.columnPairTrends.map(key)).not.toEqual(bounded.columnPairTrends.map(key));
  });

  it("scores a seeded sample of pairs when pairs x rows exceed the scan limit, and says how many", () => {
    const real = wide(1, 30, false);
    const synthetic = wide(2, 30, true).table;
    const full = qualityReport(real.table, synthetic, real.meta);
    expect(full.pairDetails.scored).toBe(435);
    // 400 rows (real + synthetic): a limit of 40 000 cells scores 100 pairs.
    const sampled = qualityReport(real.table, synthetic, real.meta, { maxPairCellVisits: 40_000, seed: 2 });
    expect(sampled.pairDetails).toMatchObject({ total: 435, scored: 100, detailed: 100, selection: "all" });
    expect(sampled.relatedPairs.pairsTotal).toBe(435);
    const mean = (ps: { score: number | null }[]) =>
      ps.reduce((a, p) => a + (p.score ?? 0), 0) / ps.filter((p) => p.score !== null).length;
    expect(sampled.allPairs.columnPairTrends).toBeCloseTo(mean(sampled.columnPairTrends), 12);
    // A fair estimate of the full mean on this table.
    expect(Math.abs(sampled.allPairs.columnPairTrends! - full.allPairs.columnPairTrends!)).toBeLessThan(0.02);
    const bounded = qualityReport(real.table, synthetic, real.meta, {
      maxPairCellVisits: 40_000,
      maxPairDetails: 60,
    });
    expect(bounded.pairDetails).toMatchObject({
      total: 435,
      scored: 100,
      detailed: 60,
      selection: "bounded",
    });
  });
});
