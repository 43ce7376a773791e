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
