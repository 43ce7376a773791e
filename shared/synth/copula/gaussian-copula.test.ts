import { describe, expect, it } from "vitest";
import { createRng } from "../../random.ts";
import { fromRows } from "../../data/table.ts";
import type { Cell } from "../../data/table.ts";
import type { TableMetadata } from "../../data/metadata.ts";
import { GaussianCopula } from "./gaussian-copula.ts";
import { chooseMarginal, marginalCdf, marginalQuantile } from "./marginals.ts";

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

function table(n: number) {
  const rng = createRng(21);
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    const b = 0.8 * a + 0.6 * rng.normal();
    const level = a > 0.5 ? "high" : a < -0.5 ? "low" : "mid";
    rows.push([
      Number((10 + 2 * a).toFixed(3)),
      rng.next() < 0.2 ? null : Math.round(Math.exp(3 + 0.5 * b)),
      level,
      rng.next() < 0.7,
    ]);
  }
  const metadata: TableMetadata = {
    columns: [
      { name: "x", sdtype: "numerical" },
      { name: "y", sdtype: "numerical", computerRepresentation: "Int64" },
      { name: "band", sdtype: "categorical" },
      { name: "flag", sdtype: "boolean" },
    ],
  };
  return { table: fromRows(["x", "y", "band", "flag"], rows), metadata };
}

describe("marginals", () => {
  it("picks a normal for normal data and inverts every family's CDF", () => {
    const rng = createRng(3);
    const x = Float64Array.from({ length: 3000 }, () => 5 + 2 * rng.normal());
    const choice = chooseMarginal(x, createRng(4));
    expect(["normal", "truncnorm", "beta"]).toContain(choice.marginal.family);
    expect(choice.ks).toBeLessThan(0.02);
    expect(choice.candidates.map((c) => c.family).sort()).toEqual([
      "beta",
      "gamma",
      "normal",
      "truncnorm",
      "uniform",
    ]);
    const skewed = Float64Array.from({ length: 3000 }, () => Math.exp(rng.normal()));
    for (const m of [choice.marginal, chooseMarginal(skewed, createRng(5)).marginal]) {
      for (const u of [0.01, 0.3, 0.5, 0.9, 0.999])
        expect(marginalCdf(m, marginalQuantile(m, u))).toBeCloseTo(u, 6);
    }
  });

  it("falls back to the empirical distribution for a discrete-valued column", () => {
    const rng = createRng(6);
    const x = Float64Array.from({ length: 2000 }, () => [1, 2, 10][rng.int(3)]);
    expect(chooseMarginal(x, createRng(7)).marginal.family).toBe("empirical");
  });
});

describe("GaussianCopula", () => {
  it("reproduces marginals, categories, missing rate and the correlation", () => {
    const { table: real, metadata } = table(4000);
    const model = GaussianCopula.fit(real, metadata, createRng(1));
    const syn = model.sample(4000, createRng(2));
    expect(syn.columns).toEqual(real.columns);
    const [x, y, band, flag] = syn.data;
    const realY = real.data[1].filter((v) => v !== null) as number[];
    const synY = y.filter((v) => v !== null) as number[];
    expect(1 - synY.length / 4000).toBeGreaterThan(0.17);
    expect(1 - synY.length / 4000).toBeLessThan(0.23);
    expect(synY.every((v) => Number.isInteger(v))).toBe(true);
    expect(Math.min(...synY)).toBeGreaterThanOrEqual(Math.min(...realY));
    expect(Math.max(...synY)).toBeLessThanOrEqual(Math.max(...realY));
    const freq = (col: Cell[], v: Cell) => col.filter((c) => c === v).length / col.length;
    for (const level of ["high", "low", "mid"])
      expect(freq(band, level)).toBeCloseTo(freq(real.data[2], level), 1);
    expect(freq(flag, true)).toBeCloseTo(0.7, 1);
    const pairs = (col: Cell[], other: Cell[]) => {
      const a: number[] = [];
      const b: number[] = [];
      col.forEach((v, i) => {
        if (v !== null && other[i] !== null) {
          a.push(v as number);
          b.push(other[i] as number);
        }
      });
      return pearson(a, b);
    };
    const rReal = pairs(real.data[0], real.data[1]);
    const rSyn = pairs(x, y);
    expect(rReal).toBeGreaterThan(0.6);
    expect(Math.abs(rSyn - rReal)).toBeLessThan(0.08);
    // The band is a non-monotone function of frequency (mid is the most frequent) but a monotone one of x:
    // with intervals ordered along the numbers, the synthetic band still follows x.
    const meanX = (level: string) => {
      const v = x.filter((_, i) => band[i] === level) as number[];
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    expect(meanX("high")).toBeGreaterThan(meanX("mid") + 1);
    expect(meanX("mid")).toBeGreaterThan(meanX("low") + 1);
  });

  it("samples the same rows from a state that went through JSON", () => {
    const { table: real, metadata } = table(500);
    const model = GaussianCopula.fit(real, metadata, createRng(1));
    const copy = GaussianCopula.fromState(JSON.parse(JSON.stringify(model.state)));
    expect(copy.sample(300, createRng(9))).toEqual(model.sample(300, createRng(9)));
  });
});
