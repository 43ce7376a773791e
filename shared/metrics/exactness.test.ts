import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Cell, Table } from "../data/table.ts";
import type { Sdtype, TableMetadata } from "../data/metadata.ts";
import { binCodes, categoryCodes, equalWidthEdges } from "./binning.ts";
import { numericColumn } from "./columns.ts";
import { contingency, cramersV } from "./contingency.ts";
import { DcrIndex } from "./dcr.ts";
import { ksStatistic } from "./ks.ts";
import { pearson } from "./pearson.ts";
import { qualityReport } from "./quality.ts";
import { frequencies, tvDistance } from "./tv.ts";

/** Values computed by tests/fixtures/metrics/make_expected.py with NumPy / SciPy (committed JSON). */
interface Case {
  name: string;
  sdtypes: Record<string, Sdtype>;
  real: Record<string, (string | number | boolean | null)[]>;
  synthetic: Record<string, (string | number | boolean | null)[]>;
  columnShapes: Record<string, { metric: string; statistic: number; score: number }>;
  pairs: {
    columns: [string, string];
    contingencySimilarity: number;
    realCramersV: number | null;
    realContingency: number[][];
    realPearson?: number;
    syntheticPearson?: number;
    score: number;
    related: boolean;
  }[];
  scores: {
    columnShapes: number;
    columnPairTrends: number;
    overall: number;
    relatedPairTrends: number | null;
  };
  dcr: number[];
}

const fixture = JSON.parse(
  readFileSync(new URL("../../tests/fixtures/metrics/expected.json", import.meta.url), "utf8"),
) as { cases: Case[] };

const TOL = 1e-9;

function toTable(
  columns: Record<string, (string | number | boolean | null)[]>,
  sdtypes: Record<string, Sdtype>,
): Table {
  const names = Object.keys(columns);
  return {
    columns: names,
    data: names.map((n) =>
      columns[n].map((v): Cell => (v !== null && sdtypes[n] === "datetime" ? new Date(v as string) : v)),
    ),
  };
}

describe.each(fixture.cases)("exactness against NumPy/SciPy: $name", (c) => {
  const real = toTable(c.real, c.sdtypes);
  const synthetic = toTable(c.synthetic, c.sdtypes);
  const metadata: TableMetadata = {
    columns: Object.entries(c.sdtypes).map(([name, sdtype]) => ({ name, sdtype })),
  };
  const col = (t: Table, name: string) => t.data[t.columns.indexOf(name)];
  const continuous = (name: string) => c.sdtypes[name] === "numerical" || c.sdtypes[name] === "datetime";

  it("KS statistics and TV distances", () => {
    for (const [name, expected] of Object.entries(c.columnShapes)) {
      const got = continuous(name)
        ? ksStatistic(numericColumn(col(real, name)), numericColumn(col(synthetic, name)))
        : tvDistance(frequencies(col(real, name)), frequencies(col(synthetic, name)));
      expect(Math.abs((got as number) - expected.statistic), name).toBeLessThan(TOL);
    }
  });

  it("Pearson r, contingency tables, Cramér's V and pair scores", () => {
    const report = qualityReport(real, synthetic, metadata);
    for (const pair of c.pairs) {
      const [a, b] = pair.columns;
      const trend = report.columnPairTrends.find((p) => p.columns[0] === a && p.columns[1] === b)!;
      expect(Math.abs(trend.score! - pair.score), `${a}/${b}`).toBeLessThan(TOL);
      expect(trend.related).toBe(pair.related);
      if (pair.realPearson !== undefined) {
        expect(
          Math.abs(pearson(numericColumn(col(real, a)), numericColumn(col(real, b)))! - pair.realPearson),
        ).toBeLessThan(TOL);
        expect(Math.abs(trend.syntheticCorrelation! - pair.syntheticPearson!)).toBeLessThan(TOL);
      }
      if (pair.realCramersV === null) expect(trend.realAssociation).toBeNull();
      else expect(Math.abs(trend.realAssociation! - pair.realCramersV)).toBeLessThan(TOL);
      // The normalised real contingency table itself, cell by cell.
      const codes = (name: string) => {
        if (continuous(name)) {
          const values = numericColumn(col(real, name));
          return binCodes(values, equalWidthEdges(values)!);
        }
        const dict = new Map<string | null, number>();
        const out = categoryCodes(col(real, name), dict);
        categoryCodes(col(synthetic, name), dict);
        return { codes: out, levels: dict.size };
      };
      const ca = codes(a);
      const cb = codes(b);
      const table = contingency(ca.codes, ca.levels, cb.codes, cb.levels);
      expect(pair.realContingency.length).toBe(ca.levels);
      pair.realContingency.forEach((row, i) =>
        row.forEach((v, j) => expect(Math.abs(table[i * cb.levels + j] - v)).toBeLessThan(TOL)),
      );
      const v = cramersV(table, ca.levels, cb.levels);
      // The sparse form (used for high-cardinality pairs) gives the same association and similarity.
      const sparse = new Map<number, number>();
      table.forEach((p, k) => p > 0 && sparse.set(k, p));
      const vs = cramersV(sparse, ca.levels, cb.levels);
      expect(vs === null ? null : Math.abs(vs - (pair.realCramersV ?? NaN)) < TOL).toBe(
        pair.realCramersV === null ? null : true,
      );
      expect(v === null ? null : Math.abs(v - (pair.realCramersV ?? NaN)) < TOL).toBe(
        pair.realCramersV === null ? null : true,
      );
    }
  });

  it("property and overall scores", () => {
    const report = qualityReport(real, synthetic, metadata);
    expect(Math.abs(report.allPairs.columnShapes! - c.scores.columnShapes)).toBeLessThan(TOL);
    expect(Math.abs(report.allPairs.columnPairTrends! - c.scores.columnPairTrends)).toBeLessThan(TOL);
    expect(Math.abs(report.allPairs.overall! - c.scores.overall)).toBeLessThan(TOL);
    if (c.scores.relatedPairTrends === null) expect(report.relatedPairs.columnPairTrends).toBeNull();
    else
      expect(Math.abs(report.relatedPairs.columnPairTrends! - c.scores.relatedPairTrends)).toBeLessThan(TOL);
  });

  it("distance to closest record", () => {
    for (const strategy of ["pruned", "exhaustive"] as const) {
      const dcr = new DcrIndex(real, metadata).distances(synthetic, { strategy });
      expect(dcr.length).toBe(c.dcr.length);
      c.dcr.forEach((v, i) => expect(Math.abs(dcr[i] - v), `${strategy} row ${i}`).toBeLessThan(TOL));
    }
  });
});
