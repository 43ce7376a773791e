import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { initNodeBackend } from "../../../cli/tf-backend.ts";
import { createRng } from "../../random.ts";
import { dropoutMask, gumbelTensor, usePerValueNoise } from "./random.ts";

describe.each(["wasm", "cpu"] as const)("noise tensors on the %s backend", (backend) => {
  beforeAll(async () => {
    expect((await initNodeBackend({ backend, fallback: false })).backend).toBe(backend);
  });
  afterEach(() => usePerValueNoise(false));

  it("draws standard Gumbel noise: finite, mean Euler's gamma, variance pi^2 / 6, same for the same seed", () => {
    const n = 200_000;
    const g = gumbelTensor([400, 500], createRng(5));
    const x = g.dataSync();
    let mean = 0;
    let sq = 0;
    let nonFinite = 0;
    for (const v of x) {
      if (!Number.isFinite(v)) nonFinite += 1;
      mean += v;
      sq += v * v;
    }
    expect(nonFinite).toBe(0);
    mean /= n;
    const variance = sq / n - mean * mean;
    // Standard errors: sqrt(1.645 / n) = 0.0029 for the mean, about 0.012 for the variance.
    expect(Math.abs(mean - 0.5772156649)).toBeLessThan(0.012);
    expect(Math.abs(variance - Math.PI ** 2 / 6)).toBeLessThan(0.05);
    // P(G < 0) = exp(-1).
    expect(Math.abs(x.filter((v) => v < 0).length / n - Math.exp(-1))).toBeLessThan(0.005);
    const again = gumbelTensor([400, 500], createRng(5));
    expect(Array.from(again.dataSync())).toEqual(Array.from(x));
    tf.dispose([g, again]);
  });

  it("keeps the Gumbel tails finite at the extreme uniform draws", () => {
    // The 23-bit uniform's ends: k = 0 and k = 2^23 - 1.
    for (const u of [0.5 * 2 ** -23, (2 ** 23 - 0.5) * 2 ** -23]) {
      const v = tf.tidy(() => tf.neg(tf.log(tf.neg(tf.log(tf.tensor1d([u]))))).dataSync()[0]);
      expect(Number.isFinite(v)).toBe(true);
    }
  });

  it("drops units with probability rate and scales the rest by 1 / (1 - rate)", () => {
    for (const perValue of [false, true]) {
      usePerValueNoise(perValue);
      const m = dropoutMask([200, 500], 0.5, createRng(6));
      const x = m.dataSync();
      expect(x.every((v) => v === 0 || v === 2)).toBe(true);
      // sd of the zero share: 0.5 / sqrt(1e5) = 0.0016.
      expect(Math.abs(x.filter((v) => v === 0).length / x.length - 0.5)).toBeLessThan(0.008);
      const other = dropoutMask([200, 500], 0.2, createRng(6));
      expect(Math.abs(other.dataSync().filter((v) => v === 0).length / x.length - 0.2)).toBeLessThan(0.008);
      const again = dropoutMask([200, 500], 0.5, createRng(6));
      expect(Array.from(again.dataSync())).toEqual(Array.from(x));
      tf.dispose([m, other, again]);
    }
  });
});
