import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import { fitGp, kernel, logMarginalLikelihood, type GpHyper } from "./gp.ts";

const m52 = (r: number) => (1 + Math.sqrt(5) * r + (5 / 3) * r * r) * Math.exp(-Math.sqrt(5) * r);

describe("Gaussian process", () => {
  it("matches the closed-form posterior of a noise-free GP with a fixed kernel at two points", () => {
    const hyper: GpHyper = { constant: 1, lengthScales: Float64Array.of(1), noise: 0 };
    const x = [Float64Array.of(0), Float64Array.of(0.5)];
    const gp = fitGp(x, [1, 3], { rng: createRng(1), hyper });
    // normalize_y: targets (1, 3) become (-1, 1) with mean 2 and std 1.
    const k = m52(0.5);
    const a = m52(0.1);
    const b = m52(0.4);
    // K^-1 y = (-1, 1) / (1 - k); mean = k*' K^-1 y; var = 1 - k*' K^-1 k*.
    const mean = 2 + (b - a) / (1 - k);
    const variance = 1 - (a * a - 2 * k * a * b + b * b) / (1 - k * k);
    const p = gp.predict([Float64Array.of(0.1), Float64Array.of(0.5)]);
    expect(p.mean[0]).toBeCloseTo(mean, 8);
    expect(p.std[0]).toBeCloseTo(Math.sqrt(variance), 6);
    // At a training point the noise-free posterior interpolates.
    expect(p.mean[1]).toBeCloseTo(3, 6);
    expect(p.std[1]).toBeLessThan(1e-4);
  });

  it("scales the kernel by the constant and the length scales", () => {
    const h: GpHyper = { constant: 2, lengthScales: Float64Array.of(0.5, 2), noise: 0 };
    const r = Math.sqrt((0.3 / 0.5) ** 2 + (1 / 2) ** 2);
    expect(kernel(Float64Array.of(0, 0), Float64Array.of(0.3, 1), h)).toBeCloseTo(2 * m52(r), 12);
  });

  it("has an analytic log marginal likelihood gradient that matches finite differences", () => {
    const rng = createRng(3);
    const x = Array.from({ length: 8 }, () => Float64Array.of(rng.next(), rng.next()));
    const y = Float64Array.from(x, (p) => Math.sin(4 * p[0]) + p[1] ** 2 - 0.5);
    const theta = Float64Array.of(Math.log(1.5), Math.log(0.4), Math.log(0.9), Math.log(0.05));
    const { grad } = logMarginalLikelihood(x, y, theta);
    const h = 1e-5;
    for (let j = 0; j < theta.length; j++) {
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[j] += h;
      down[j] -= h;
      const fd = (logMarginalLikelihood(x, y, up).value - logMarginalLikelihood(x, y, down).value) / (2 * h);
      expect(grad[j]).toBeCloseTo(fd, 4);
    }
  });

  it("fits hyperparameters that beat the default start on the marginal likelihood, within skopt's bounds", () => {
    const rng = createRng(5);
    const x = Array.from({ length: 15 }, () => Float64Array.of(rng.next(), rng.next()));
    const yRaw = x.map((p) => Math.sin(6 * p[0]) + 0.1 * p[1]);
    const gp = fitGp(x, yRaw, { rng: createRng(9) });
    const mean = yRaw.reduce((a, b) => a + b, 0) / yRaw.length;
    const sd = Math.sqrt(yRaw.reduce((a, b) => a + (b - mean) ** 2, 0) / yRaw.length);
    const y = Float64Array.from(yRaw, (v) => (v - mean) / sd);
    const start = logMarginalLikelihood(x, y, new Float64Array(4)).value;
    expect(gp.logMarginalLikelihood).toBeGreaterThan(start);
    // The second input barely matters: its length scale grows well beyond the first's.
    expect(gp.hyper.lengthScales[1]).toBeGreaterThan(gp.hyper.lengthScales[0]);
    expect(gp.hyper.constant).toBeGreaterThanOrEqual(0.01 * (1 - 1e-9));
    expect(gp.hyper.noise).toBeGreaterThanOrEqual(1e-5 * (1 - 1e-9));
    const p = gp.predict([Float64Array.of(0.25, 0.5)]);
    expect(p.mean[0]).toBeCloseTo(Math.sin(1.5) + 0.05, 1);
  });
});
