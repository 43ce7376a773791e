import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../shared/random.ts";
import type { ColumnTransformInfo } from "../shared/synth/matrix-model.ts";
import {
  buildLayout,
  forceSpanCrossEntropyOpChain,
  spanCrossEntropyKernelActive,
  spanCrossEntropySum,
  spanSizes,
  type SpanLayout,
} from "../shared/synth/nn/layout.ts";
import { initNodeBackend } from "./tf-backend.ts";
import { selectIntraOpThreads, THREADED_BACKEND } from "./tf-wasm-threads.ts";

// Two scalar columns and softmax spans of widths 3, 1, 5, 3 and 2: equal widths are grouped into blocks.
const columns: ColumnTransformInfo[] = [
  {
    column: "a",
    kind: "continuous",
    spans: [
      { dim: 1, activation: "tanh" },
      { dim: 3, activation: "softmax" },
    ],
  },
  { column: "b", kind: "discrete", spans: [{ dim: 1, activation: "softmax" }] },
  { column: "c", kind: "discrete", spans: [{ dim: 5, activation: "softmax" }] },
  {
    column: "d",
    kind: "continuous",
    spans: [
      { dim: 1, activation: "tanh" },
      { dim: 3, activation: "softmax" },
    ],
  },
  { column: "e", kind: "discrete", spans: [{ dim: 2, activation: "softmax" }] },
];
const layout: SpanLayout = buildLayout(columns, 16);
const rows = 37;

/** Logits of every scale (up to +-80, where a naive exp overflows float32) and a one-hot target. */
function inputs(seed: number, everySpan: boolean): { logits: tf.Tensor2D; target: tf.Tensor2D } {
  const rng = createRng(seed);
  const logits = new Float32Array(rows * layout.width);
  for (let i = 0; i < logits.length; i++) logits[i] = (rng.next() - 0.5) * 10 ** (rng.next() * 2.2 - 0.3);
  // TVAE's target is one-hot in every span; CTGAN's conditional target in one span per row.
  const target = new Float32Array(rows * layout.softmaxWidth);
  const sizes = spanSizes(layout);
  for (let r = 0; r < rows; r++) {
    const chosen = Math.floor(rng.next() * sizes.length);
    let at = 0;
    sizes.forEach((n, k) => {
      if (everySpan || k === chosen) target[r * layout.softmaxWidth + at + Math.floor(rng.next() * n)] = 1;
      at += n;
    });
  }
  return {
    logits: tf.tensor2d(logits, [rows, layout.width]),
    target: tf.tensor2d(target, [rows, layout.softmaxWidth]),
  };
}

/** 0.7 x the loss and its gradient by the logits, the loss through the fused kernels or the op chain. */
function lossAndGradient(opChain: boolean, seed: number, everySpan: boolean) {
  forceSpanCrossEntropyOpChain(opChain);
  try {
    return tf.tidy(() => {
      const { logits, target } = inputs(seed, everySpan);
      const f = (l: tf.Tensor) =>
        tf.mul(spanCrossEntropySum(l as tf.Tensor2D, layout, target), 0.7) as tf.Scalar;
      const { value, grad } = tf.valueAndGrad(f)(logits);
      return { loss: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
    });
  } finally {
    forceSpanCrossEntropyOpChain(false);
  }
}

describe("the fused span cross-entropy (native/span-loss.c on tfjs-wasm's heap)", () => {
  beforeAll(async () => {
    await initNodeBackend({ backend: "wasm", fallback: false });
  });
  afterAll(async () => {
    await initNodeBackend({ backend: "wasm", fallback: false });
  });

  for (const backend of ["wasm", THREADED_BACKEND]) {
    for (const everySpan of [true, false]) {
      it(`on ${backend}, equals the op chain's loss and gradient (target in ${everySpan ? "every span" : "one span per row"})`, async () => {
        await selectIntraOpThreads(backend === "wasm" ? 1 : 2);
        expect(tf.getBackend()).toBe(backend);
        expect(spanCrossEntropyKernelActive()).toBe(true);
        for (const seed of [1, 2, 3]) {
          const before = tf.memory().numTensors;
          const fused = lossAndGradient(false, seed, everySpan);
          expect(tf.memory().numTensors).toBe(before);
          const chain = lossAndGradient(true, seed, everySpan);
          expect(Number.isFinite(fused.loss)).toBe(true);
          // The op chain sums in float32; the kernel per span in double: agreement to float32's precision.
          expect(Math.abs(fused.loss - chain.loss)).toBeLessThanOrEqual(2e-6 * Math.abs(chain.loss));
          let worst = 0;
          for (let i = 0; i < chain.grad.length; i++)
            worst = Math.max(worst, Math.abs(fused.grad[i] - chain.grad[i]));
          expect(worst).toBeLessThan(1e-6);
          // The scalar columns get no gradient from this loss; the spans do.
          expect(fused.grad[0]).toBe(0);
          expect(fused.grad.some((g) => g !== 0)).toBe(true);
        }
      });
    }
  }

  it("lets a NaN logit through as a NaN loss, as the op chain does, instead of trapping", async () => {
    await selectIntraOpThreads(1);
    const loss = tf.tidy(() => {
      const { logits, target } = inputs(1, true);
      const poisoned = tf.where(
        tf.equal(tf.range(0, rows * layout.width).reshape([rows, layout.width]), layout.tanhCount),
        tf.fill([rows, layout.width], Number.NaN),
        logits,
      ) as tf.Tensor2D;
      return spanCrossEntropySum(poisoned, layout, target).dataSync()[0];
    });
    expect(loss).toBeNaN();
  });

  it("is not used where no runtime registered it (the cpu backend)", async () => {
    await initNodeBackend({ backend: "cpu", fallback: false });
    expect(spanCrossEntropyKernelActive()).toBe(false);
    expect(Number.isFinite(lossAndGradient(false, 1, true).loss)).toBe(true);
  });
});
