import { describe, expect, it } from "vitest";
import { createRng, sfc32 } from "../../random.ts";
import { fillUint32 } from "./bits.ts";

/** shared/random.ts's sfc32 (unsigned arithmetic), seeded and warmed up as fillUint32 does it. */
function reference(n: number, seed: number): number[] {
  const rng = createRng(seed);
  const next = sfc32(rng.uint32(), rng.uint32(), rng.uint32(), (rng.uint32() | 1) >>> 0);
  for (let i = 0; i < 12; i++) next();
  return Array.from({ length: n }, next);
}

describe("fillUint32", () => {
  it("is sfc32 bit for bit (the signed arithmetic changes nothing) and advances the Rng by four draws", () => {
    const rng = createRng(9);
    const got = fillUint32(new Uint32Array(5000), rng);
    expect(Array.from(got)).toEqual(reference(5000, 9));
    const after = createRng(9);
    for (let i = 0; i < 4; i++) after.uint32();
    expect(rng.uint32()).toBe(after.uint32());
  });

  it("is the same for the same seed, another for another seed, and uniform", () => {
    const a = fillUint32(new Uint32Array(200_000), createRng(3));
    expect(Array.from(fillUint32(new Uint32Array(200_000), createRng(3)))).toEqual(Array.from(a));
    expect(fillUint32(new Uint32Array(10), createRng(4))).not.toEqual(a.subarray(0, 10));
    // Top 4 bits: 16 cells of 12 500 expected; chi-square with 15 degrees of freedom, 0.1% critical 37.7.
    const cells = new Array<number>(16).fill(0);
    for (const u of a) cells[u >>> 28] += 1;
    const chi2 = cells.reduce((s, c) => s + (c - 12_500) ** 2 / 12_500, 0);
    expect(chi2).toBeLessThan(37.7);
  });
});
