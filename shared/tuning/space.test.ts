import { describe, expect, it } from "vitest";
import { isSynthError } from "../errors.ts";
import { createRng } from "../random.ts";
import { gridPoints, gridSize } from "./grid.ts";
import { lhsPoints } from "./lhs.ts";
import { randomPoints } from "./random.ts";
import {
  decode,
  defaultSpaceInput,
  encode,
  modelConstraints,
  parseSpace,
  snap,
  toModelOptions,
} from "./space.ts";

const seedSpace = { epochs: [50, 200], batch_size: [100, 1000], learning_rate: [1e-4, 1e-2] };

describe("search spaces", () => {
  it("reads the seed's short form: integer bounds give ints, a two-decade positive range is log-uniform", () => {
    const s = parseSpace(seedSpace);
    expect(s.dimensions.map((d) => [d.name, d.type, "log" in d ? d.log : null])).toEqual([
      ["epochs", "int", false],
      ["batch_size", "int", false],
      ["learning_rate", "float", true],
    ]);
    const mid = decode(s, Float64Array.of(0.5, 0.5, 0.5));
    expect(mid.learning_rate).toBeCloseTo(1e-3, 12);
  });

  it("reads the rich form and categorical lists, one-hot encoded", () => {
    const s = parseSpace({
      lr: { type: "float", low: 1e-4, high: 1e-2, log: false },
      dims: [64, 128, 256],
      flag: [true, false],
    });
    expect(s.width).toBe(1 + 3 + 2);
    const u = encode(s, { lr: 5e-3, dims: 128, flag: false });
    expect(Array.from(u.slice(1))).toEqual([0, 1, 0, 0, 1]);
    expect(decode(s, u)).toEqual({ lr: expect.closeTo(5e-3, 12), dims: 128, flag: false });
  });

  it("refuses malformed spaces", () => {
    expect(() => parseSpace({ epochs: [200, 50] })).toThrow(/low must be below high/);
    expect(() => parseSpace({ lr: { type: "float", low: 0, high: 1, log: true } })).toThrow(/log scale/);
    expect(() => parseSpace({})).toThrow(/no dimensions/);
  });

  it("maps learning_rate onto each model's learning rates", () => {
    expect(toModelOptions("ctgan", { learning_rate: 1e-3, epochs: 10 })).toEqual({
      generator_lr: 1e-3,
      discriminator_lr: 1e-3,
      epochs: 10,
    });
    expect(toModelOptions("tvae", { learning_rate: 1e-3 })).toEqual({ learning_rate: 1e-3 });
    expect(() => toModelOptions("gaussian_copula", { learning_rate: 1e-3 })).toThrow(/no learning rate/);
  });

  it("has default spaces for every model", () => {
    for (const m of ["ctgan", "tvae", "gaussian_copula"] as const)
      expect(parseSpace(defaultSpaceInput(m)).dimensions.length).toBeGreaterThan(0);
  });

  it("snaps CTGAN batch sizes to even multiples of pac, no larger than the training rows", () => {
    const s = parseSpace(seedSpace, modelConstraints("ctgan", 437, 5));
    // lcm(5, 2) = 10
    expect(snap(s, { batch_size: 123 }).batch_size).toBe(120);
    expect(snap(s, { batch_size: 3 }).batch_size).toBe(10);
    expect(snap(s, { batch_size: 999 }).batch_size).toBe(430);
    for (const p of randomPoints(s, 50, createRng(1))) {
      expect((p.batch_size as number) % 10).toBe(0);
      expect(p.batch_size as number).toBeLessThanOrEqual(437);
    }
    const tvae = parseSpace(seedSpace, modelConstraints("tvae", 300));
    expect(snap(tvae, { batch_size: 999 }).batch_size).toBe(300);
  });
});

describe("grid, random and Latin hypercube points", () => {
  it("enumerates the grid with log spacing and integer deduplication", () => {
    const s = parseSpace({ a: [1, 3], lr: [1e-4, 1e-2], c: ["x", "y"] });
    const g = gridPoints(s, { pointsPerDimension: 3 });
    expect(g).toHaveLength(3 * 3 * 2);
    expect([...new Set(g.map((p) => p.a))]).toEqual([1, 2, 3]);
    expect([...new Set(g.map((p) => p.lr as number))].map((v) => +v.toPrecision(6))).toEqual([
      1e-4, 1e-3, 1e-2,
    ]);
  });

  it("refuses a grid above the maximum, with the count", () => {
    const s = parseSpace({ a: [0, 1.5], b: [0, 1.5], c: [0, 1.5], d: [0, 1.5], e: [0, 1.5] });
    expect(gridSize(s, { pointsPerDimension: 5 })).toBe(3125);
    try {
      gridPoints(s, { pointsPerDimension: 5, maxPoints: 1000 });
      expect.unreachable();
    } catch (e) {
      expect(isSynthError(e, "VALIDATION_ERROR")).toBe(true);
      expect((e as { details: { count: number } }).details.count).toBe(3125);
      expect(String(e)).toContain("3125");
    }
  });

  it("puts one LHS point in every stratum of every dimension, reproducibly", () => {
    const s = parseSpace({ x: [0, 1.5], y: [0, 1.5] });
    const pts = lhsPoints(s, 10, createRng(7));
    for (const k of ["x", "y"]) {
      const strata = pts.map((p) => Math.floor(((p[k] as number) / 1.5) * 10)).sort((a, b) => a - b);
      expect(strata).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    expect(lhsPoints(s, 10, createRng(7))).toEqual(pts);
    expect(lhsPoints(s, 10, createRng(8))).not.toEqual(pts);
  });
});
