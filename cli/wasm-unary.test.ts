import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../shared/random.ts";
import { initNodeBackend } from "./tf-backend.ts";
import { selectIntraOpThreads, THREADED_BACKEND } from "./tf-wasm-threads.ts";
import { forceLibmUnary, unaryCalls } from "./wasm-unary.ts";

/** The distance between |v| and the next float32 above it: one ulp there (the smallest subnormal at 0). */
function ulpAt(v: number): number {
  const f = new Float32Array([Math.abs(v)]);
  const bits = new Uint32Array(f.buffer);
  bits[0] += 1;
  return Math.max(f[0] - Math.abs(v), 2 ** -149);
}

/** Every magnitude from 1e-6 to 1e3 with both signs, the branch points, the tails of the range, specials. */
function inputs(): Float32Array {
  const rng = createRng(3);
  const out: number[] = [];
  for (let i = 0; i < 200_000; i++) out.push((rng.next() < 0.5 ? -1 : 1) * 10 ** (rng.next() * 9 - 6));
  for (let i = 0; i < 20_000; i++) out.push(rng.next() * 220 - 110);
  out.push(0, -0, 0.625, -0.625, 9, -9, 88.72, 88.73, 89, 1e3, -87.3, -103.5, -104, -1e3, 1e-40, -1e-40);
  out.push(Infinity, -Infinity, NaN, 7); // 220 020 values: a tail of 0 lanes; slices below give 1-3.
  return new Float32Array(out);
}

function run(op: "exp" | "tanh", x: Float32Array, libm: boolean): Float32Array {
  forceLibmUnary(libm);
  try {
    return tf.tidy(() => tf[op](tf.tensor1d(x)).dataSync() as Float32Array);
  } finally {
    forceLibmUnary(false);
  }
}

describe("exp and tanh (native/unary.c on tfjs-wasm's heap)", () => {
  beforeAll(async () => {
    await initNodeBackend({ backend: "wasm", fallback: false });
  });
  afterAll(async () => {
    forceLibmUnary(false);
    await initNodeBackend({ backend: "wasm", fallback: false });
  });

  for (const backend of ["wasm", THREADED_BACKEND]) {
    for (const [op, exact] of [
      ["exp", Math.exp],
      ["tanh", Math.tanh],
    ] as const) {
      it(`${op} on ${backend} is within 2 ulp of the exact value everywhere, and exact at the specials`, async () => {
        await selectIntraOpThreads(backend === "wasm" ? 1 : 2);
        expect(tf.getBackend()).toBe(backend);
        const x = inputs();
        const before = [unaryCalls(), tf.memory().numTensors];
        const y = run(op, x, false);
        expect([unaryCalls() - before[0], tf.memory().numTensors]).toEqual([1, before[1]]);
        let worst = 0;
        for (let i = 0; i < x.length; i++) {
          const want = exact(x[i]);
          const rounded = Math.fround(want);
          if (Number.isNaN(want) || !Number.isFinite(rounded) || rounded === 0) {
            // NaN, overflow to inf, underflow to 0 and the signed zeros are exactly the float32 answer.
            expect(Object.is(y[i], rounded), `${op}(${x[i]}) = ${y[i]}, not ${rounded}`).toBe(true);
            continue;
          }
          worst = Math.max(worst, Math.abs(y[i] - want) / ulpAt(rounded));
        }
        expect(worst).toBeLessThanOrEqual(2);
        // The tails: 1, 2 and 3 elements after the last full vector.
        for (const n of [1, 2, 3, 5, 6, 7])
          expect([...run(op, x.subarray(0, n), false)]).toEqual([...y.subarray(0, n)]);
      });
    }
  }

  it("keeps tfjs's gradients (from the outputs) and leaves int32 tensors to tfjs", () => {
    const x = tf.tensor1d([-3, -0.5, 0, 0.3, 2]);
    const dExp = tf
      .grad((v: tf.Tensor) => tf.sum(tf.exp(v)))(x)
      .dataSync();
    const dTanh = tf
      .grad((v: tf.Tensor) => tf.sum(tf.tanh(v)))(x)
      .dataSync();
    [-3, -0.5, 0, 0.3, 2].forEach((v, i) => {
      expect(dExp[i]).toBeCloseTo(Math.exp(v), 6);
      expect(dTanh[i]).toBeCloseTo(1 - Math.tanh(v) ** 2, 6);
    });
    const calls = unaryCalls();
    expect([...tf.exp(tf.tensor1d([0, 1], "int32")).dataSync()].map((v) => Number(v.toFixed(5)))).toEqual([
      1, 2.71828,
    ]);
    expect(unaryCalls()).toBe(calls);
    x.dispose();
  });
});
