import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initNodeBackend } from "../../../cli/tf-backend.ts";
import { createRng } from "../../random.ts";
import { buildDiscriminator, gradientPenalty } from "../ctgan.ts";
import { useExplicitTransposeMatMulGradient, useFewRowInputGradient } from "./gradients.ts";
import { ParamSet } from "./params.ts";

describe.each(["wasm", "cpu"] as const)("gradients on the %s backend", (backend) => {
  beforeAll(async () => {
    const info = await initNodeBackend({ backend, fallback: false });
    expect(info.backend).toBe(backend);
  });

  it("differentiates the WGAN-GP penalty w.r.t. the critic's weights (second order) like a finite difference", () => {
    const rng = createRng(11);
    const set = new ParamSet("gp-check");
    const critic = buildDiscriminator(set, 3, [5, 4], 2, rng);
    const rand = (shape: [number, number]) =>
      tf.tensor2d(
        Float32Array.from({ length: shape[0] * shape[1] }, () => rng.normal()),
        shape,
      );
    const real = rand([4, 3]);
    const fake = rand([4, 3]);
    const alpha = tf.tensor2d([0.3, 0.3, 0.8, 0.8], [4, 1]);
    const masks = [
      tf.ones([2, 5]) as tf.Tensor2D,
      tf.tensor2d([
        [2, 0, 2, 2],
        [0, 2, 2, 0],
      ]),
    ];
    const penalty = () => gradientPenalty(critic, real, fake, alpha, masks);

    const { value, grads } = tf.variableGrads(penalty, set.variables);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    const h = 4e-3;
    let checked = 0;
    for (const v of set.variables) {
      // The output bias does not reach the input gradient, so it has no gradient at all.
      const analytic = grads[v.name]?.dataSync() ?? new Float32Array(v.size);
      const base = v.dataSync().slice();
      for (const i of [0, Math.floor(base.length / 2), base.length - 1]) {
        const at = (delta: number): number => {
          const moved = base.slice();
          moved[i] += delta;
          tf.tidy(() => v.assign(tf.tensor(moved, v.shape)));
          return tf.tidy(() => penalty().dataSync()[0]);
        };
        const numeric = (at(h) - at(-h)) / (2 * h);
        tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
        expect(Math.abs(analytic[i] - numeric)).toBeLessThan(2e-3 + 0.02 * Math.abs(numeric));
        checked += 1;
      }
    }
    // The output layer's weights only enter the penalty through the input gradient: a first-order-only
    // implementation would report zero for them.
    const outGrad = grads[critic.out.w.name].dataSync();
    expect(outGrad.some((g) => Math.abs(g) > 1e-4)).toBe(true);
    expect(checked).toBe(18);
    expect(grads[critic.out.b.name]).toBeUndefined();
    tf.dispose([value, ...Object.values(grads), real, fake, alpha, ...masks]);
    set.dispose();
  });

  it("computes the same matmul gradients with explicit transposes as tfjs's stock gradient", () => {
    const before = tf.memory().numTensors;
    const rng = createRng(3);
    const rand = (r: number, c: number) =>
      tf.tensor2d(
        Float32Array.from({ length: r * c }, () => rng.normal()),
        [r, c],
      );
    const a = rand(5, 4);
    const b = rand(4, 3);
    const w = rand(5, 3);
    const cases: [boolean, boolean, tf.Tensor2D, tf.Tensor2D][] = [
      [false, false, a, b],
      [true, false, tf.transpose(a), b],
      [false, true, a, tf.transpose(b)],
      [true, true, tf.transpose(a), tf.transpose(b)],
    ];
    for (const [ta, tb, x, y] of cases) {
      const f = (p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), w));
      useExplicitTransposeMatMulGradient(false);
      const stock = tf.grads(f)([x, y]);
      useExplicitTransposeMatMulGradient(true);
      const ours = tf.grads(f)([x, y]);
      for (let k = 0; k < 2; k++) {
        const d = Array.from(ours[k].dataSync(), (v, i) => Math.abs(v - stock[k].dataSync()[i]));
        expect(Math.max(...d)).toBeLessThan(1e-5);
      }
      tf.dispose([...stock, ...ours]);
    }
    tf.dispose([a, b, w, ...cases.flatMap(([, , x, y]) => [x, y])]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("computes a few-row input gradient as transpose(W·dYᵀ) with exactly the same values as dY·Wᵀ", () => {
    const before = tf.memory().numTensors;
    const rng = createRng(5);
    const rand = (r: number, c: number) =>
      tf.tensor2d(
        Float32Array.from({ length: r * c }, () => rng.normal()),
        [r, c],
      );
    // 3 rows through a 40 -> 8 layer: the shape of the critic's packed rows, where the rule switches.
    const x = rand(3, 40);
    const w = rand(40, 8);
    const target = rand(3, 8);
    const f = (p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.sub(tf.matMul(p, q), target)));
    // Second order too (the gradient penalty differentiates the input gradient).
    const penalty = (q: tf.Tensor) => tf.sum(tf.square(tf.grad((p: tf.Tensor) => f(p, q))(x)));
    useFewRowInputGradient(false);
    const plain = [...tf.grads(f)([x, w]), tf.grad(penalty)(w)];
    useFewRowInputGradient(true);
    const fewRow = [...tf.grads(f)([x, w]), tf.grad(penalty)(w)];
    for (let k = 0; k < plain.length; k++) {
      expect(fewRow[k].shape).toEqual(plain[k].shape);
      expect(Array.from(fewRow[k].dataSync())).toEqual(Array.from(plain[k].dataSync()));
    }
    // And both are the gradient: d/dx of sum((xw - t)^2) is 2 (xw - t) wᵀ.
    const expected = tf.tidy(() => tf.mul(tf.matMul(tf.sub(tf.matMul(x, w), target), w, false, true), 2));
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(expected, fewRow[0]))).dataSync()[0]);
    expect(diff).toBeLessThan(1e-4);
    tf.dispose([x, w, target, expected, ...plain, ...fewRow]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
