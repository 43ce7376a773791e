import { describe, expect, it } from "vitest";
import { createRng } from "../../random.ts";
import { fillNormal } from "./ziggurat.ts";

/** Standard normal CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function phi(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const poly =
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  const erf = 1 - poly * Math.exp((-z * z) / 2);
  return 0.5 * (1 + (z >= 0 ? erf : -erf));
}

describe("ziggurat normals", () => {
  it("are standard normal: moments, tails and a Kolmogorov-Smirnov test", () => {
    const n = 400_000;
    const rng = createRng(21);
    const x = new Float32Array(n);
    // In chunks, as the models draw them (each call reseeds its local stream from the Rng).
    for (let k = 0; k < n; k += 64_000) fillNormal(x.subarray(k, Math.min(n, k + 64_000)), rng);
    let mean = 0;
    let sq = 0;
    let beyond3 = 0;
    for (const v of x) {
      mean += v;
      sq += v * v;
      if (Math.abs(v) > 3) beyond3++;
    }
    mean /= n;
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.01);
    // P(|Z| > 3) = 0.0027: 1080 expected, sd about 33.
    expect(Math.abs(beyond3 - 0.0027 * n)).toBeLessThan(150);
    const sorted = Float64Array.from(x).sort();
    let ks = 0;
    sorted.forEach((v, i) => (ks = Math.max(ks, Math.abs(phi(v) - (i + 0.5) / n))));
    // 1.63 / sqrt(n) is the 1% critical value.
    expect(ks).toBeLessThan(1.63 / Math.sqrt(n));
    expect(Math.max(...sorted.slice(-5))).toBeGreaterThan(3.44); // the tail beyond the ziggurat's base is reached
  });

  it("are the same for the same seed", () => {
    const a = fillNormal(new Float32Array(1000), createRng(3));
    const b = fillNormal(new Float32Array(1000), createRng(3));
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(fillNormal(new Float32Array(1000), createRng(4)))).not.toEqual(Array.from(a));
  });
});
