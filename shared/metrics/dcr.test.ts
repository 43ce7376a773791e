import { describe, expect, it } from "vitest";
import { fromRows, takeRows, type Cell } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { createRng, permutation } from "../random.ts";
import { bruteForceDcr, DcrIndex } from "./dcr.ts";
import { privacy } from "./privacy.ts";

const metadata: TableMetadata = {
  columns: [
    { name: "x", sdtype: "numerical" },
    { name: "y", sdtype: "numerical" },
    { name: "when", sdtype: "datetime" },
    { name: "c", sdtype: "categorical" },
    { name: "b", sdtype: "boolean" },
    { name: "k", sdtype: "numerical" },
  ],
};

function randomTable(rows: number, seed: number, missing: number) {
  const rng = createRng(seed);
  const cats = ["a", "b", "c", "d"];
  const out: Cell[][] = [];
  for (let i = 0; i < rows; i++) {
    const miss = () => rng.next() < missing;
    out.push([
      miss() ? null : Math.round(rng.normal() * 100) / 10,
      miss() ? null : rng.int(5),
      miss() ? null : new Date(Date.UTC(2020, 0, 1 + rng.int(300))),
      miss() ? null : cats[rng.int(cats.length)],
      miss() ? null : rng.next() < 0.5,
      7, // constant: compared exactly, like a category
    ]);
  }
  return fromRows(["x", "y", "when", "c", "b", "k"], out);
}

describe("DCR index", () => {
  it("equals the brute-force definition, missing values and out-of-range values included", () => {
    const real = randomTable(300, 1, 0.1);
    const synthetic = randomTable(200, 2, 0.1);
    // Push some synthetic values far outside the real range: per-column distance is capped at 1.
    synthetic.data[0][0] = 1e6;
    synthetic.data[5][1] = 8;
    const slow = bruteForceDcr(synthetic, real, metadata);
    const index = new DcrIndex(real, metadata);
    for (const strategy of ["pruned", "exhaustive", "auto"] as const) {
      const fast = index.distances(synthetic, { strategy });
      expect(fast.length).toBe(200);
      for (let i = 0; i < fast.length; i++) expect(fast[i], `${strategy} row ${i}`).toBeCloseTo(slow[i], 12);
    }
  });

  it("matches brute force with categorical columns only and with numerical columns only", () => {
    const real = randomTable(150, 3, 0);
    const synthetic = randomTable(100, 4, 0.05);
    for (const cols of [
      ["c", "b"],
      ["x", "y", "when"],
    ]) {
      const meta: TableMetadata = { columns: metadata.columns.filter((c) => cols.includes(c.name)) };
      const slow = bruteForceDcr(synthetic, real, meta);
      for (const strategy of ["pruned", "exhaustive"] as const) {
        const fast = new DcrIndex(real, meta).distances(synthetic, { strategy });
        for (let i = 0; i < fast.length; i++) expect(fast[i]).toBeCloseTo(slow[i], 12);
      }
    }
  });

  it("matches brute force with many categorical columns (bit-sliced mismatch counting)", () => {
    const rng = createRng(21);
    const names = ["n0", "n1", ...Array.from({ length: 9 }, (_, k) => `k${k}`)];
    const meta: TableMetadata = {
      columns: names.map((name, k) => ({
        name,
        sdtype: k < 2 ? ("numerical" as const) : ("categorical" as const),
      })),
    };
    const make = (rows: number, extraLevel: boolean) =>
      fromRows(
        names,
        Array.from({ length: rows }, () =>
          names.map((_, k): Cell => {
            if (rng.next() < 0.05) return null;
            if (k < 2) return rng.normal();
            return extraLevel && rng.next() < 0.05 ? "unseen" : `l${rng.int(3)}`;
          }),
        ),
      );
    const real = make(333, false);
    const synthetic = make(77, true);
    const slow = bruteForceDcr(synthetic, real, meta);
    for (const strategy of ["exhaustive", "pruned"] as const) {
      const fast = new DcrIndex(real, meta).distances(synthetic, { strategy });
      for (let i = 0; i < fast.length; i++) expect(fast[i], `${strategy} row ${i}`).toBeCloseTo(slow[i], 12);
    }
    // Categorical columns only: the bitset path alone decides the distance.
    const catMeta: TableMetadata = { columns: meta.columns.slice(2) };
    const catFast = new DcrIndex(real, catMeta).distances(synthetic, { strategy: "exhaustive" });
    const catSlow = bruteForceDcr(synthetic, real, catMeta);
    for (let i = 0; i < catFast.length; i++) expect(catFast[i]).toBeCloseTo(catSlow[i], 12);
  });

  it("gives an exact copy DCR 0 and copy share 1", () => {
    const real = randomTable(400, 5, 0.1);
    const shuffled = takeRows(real, permutation(400, createRng(9)));
    const result = privacy(real, shuffled, metadata, { rng: createRng(1) });
    expect(result.dcr.median).toBe(0);
    expect(result.dcr.exactShare).toBe(1);
    expect(result.copyShare).toBe(1);
    expect(result.baselineProtection.score).toBe(0);
  });

  it("counts a number within 1% as a copy and one 2% away as not", () => {
    const meta: TableMetadata = {
      columns: [
        { name: "x", sdtype: "numerical" },
        { name: "c", sdtype: "categorical" },
      ],
    };
    const real = fromRows(
      ["x", "c"],
      [
        [100, "a"],
        [200, "a"],
        [-50, "b"],
      ],
    );
    const synthetic = fromRows(
      ["x", "c"],
      [
        [100.9, "a"],
        [204, "a"],
        [-50.4, "b"],
        [100, "b"],
      ],
    );
    expect(Array.from(new DcrIndex(real, meta).copies(synthetic))).toEqual([1, 0, 1, 0]);
  });

  it("scores uniform noise as well protected and the overfitting score from a holdout", () => {
    const real = randomTable(400, 6, 0);
    const holdout = randomTable(400, 7, 0);
    const noise = randomTable(300, 8, 0);
    const result = privacy(real, noise, metadata, { rng: createRng(2), holdout });
    expect(result.copyShare).toBeLessThan(0.05);
    expect(result.overfittingProtection).not.toBeNull();
    // Noise is no closer to the training rows than to the holdout: about half each, score near 1.
    expect(result.overfittingProtection!.closerToTraining).toBeGreaterThan(0.3);
    expect(result.overfittingProtection!.closerToTraining).toBeLessThan(0.7);
    const copied = privacy(real, real, metadata, { rng: createRng(2), holdout });
    expect(copied.overfittingProtection!.closerToTraining).toBe(1);
    expect(copied.overfittingProtection!.score).toBe(0);
  });
});
