import { describe, expect, it } from "vitest";
import { createRng } from "../../random.ts";
import { fillUint32 } from "./bits.ts";

/** sfc32 as shared/random.ts writes it (unsigned arithmetic), seeded as fillUint32 seeds it. */
function reference(n: number, seed: number): number[] {
  const rng = createRng(seed);
  let a = rng.uint32();
  let b = rng.uint32();
  let c = rng.uint32();
  let d = (rng.uint32() | 1) >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n + 12; i++) {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    if (i >= 12) out.push(t);
  }
  return out;
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
