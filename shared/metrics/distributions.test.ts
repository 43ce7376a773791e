import { describe, expect, it } from "vitest";
import { fromRows } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { createRng } from "../random.ts";
import { distributions } from "./distributions.ts";
import { uniformRandomRows } from "./privacy.ts";

const meta: TableMetadata = {
  columns: [
    { name: "n", sdtype: "numerical" },
    { name: "f", sdtype: "numerical" },
    { name: "c", sdtype: "categorical" },
  ],
};

describe("plotted distributions", () => {
  it("histogram shares over the real range, synthetic outliers and missing values counted apart", () => {
    const real = fromRows(
      ["n", "f", "c"],
      [
        [0, 1.5, "a"],
        [10, null, "b"],
        [5, 2.5, "a"],
        [5, 3.5, null],
      ],
    );
    const synthetic = fromRows(
      ["n", "f", "c"],
      [
        [-3, 1.5, "a"],
        [11, 2, "z"],
        [5, 2, "a"],
        [null, 2, "a"],
      ],
    );
    const [n, , c] = distributions(real, synthetic, meta);
    if (n.kind !== "histogram" || c.kind !== "categories") throw new Error("unexpected kinds");
    expect(n.edges[0]).toBe(0);
    expect(n.edges[n.edges.length - 1]).toBe(10);
    expect(n.real.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(n.syntheticBelow).toBeCloseTo(1 / 3, 12);
    expect(n.syntheticAbove).toBeCloseTo(1 / 3, 12);
    expect(n.syntheticMissing).toBeCloseTo(1 / 4, 12);
    // Most frequent real category first; the synthetic-only category and missing still shown.
    expect(c.categories[0]).toBe("a");
    expect(c.categories).toContain("z");
    expect(c.categories).toContain(null);
    expect(c.real.reduce((a, b) => a + b, 0) + c.otherReal).toBeCloseTo(1, 12);
  });
});

describe("the random baseline of DCR baseline protection", () => {
  it("draws integers, numbers and categories within the real data, missing at the real rate", () => {
    const rng = createRng(3);
    const rows = Array.from({ length: 2000 }, (_, i) => [
      10 + (i % 7),
      rng.next() < 0.25 ? null : 100 + rng.next() * 50,
      ["x", "y", "z"][i % 3],
    ]);
    const real = fromRows(["n", "f", "c"], rows);
    const random = uniformRandomRows(real, meta, 4000, createRng(4));
    const [n, f, c] = random.data;
    expect(n.every((v) => Number.isInteger(v) && (v as number) >= 10 && (v as number) <= 16)).toBe(true);
    expect(new Set(n).size).toBe(7);
    const present = f.filter((v) => v !== null) as number[];
    expect(present.every((v) => v >= 100 && v <= 150)).toBe(true);
    expect(1 - present.length / 4000).toBeGreaterThan(0.2);
    expect(1 - present.length / 4000).toBeLessThan(0.3);
    expect(new Set(c)).toEqual(new Set(["x", "y", "z"]));
  });
});
