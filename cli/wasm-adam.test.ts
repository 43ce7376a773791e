import { createHash } from "node:crypto";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../shared/random.ts";
import { TVAE } from "../shared/synth/tvae.ts";
import { Adam, adamKernelActive, forceAdamOpChain, type AdamConfig } from "../shared/synth/nn/adam.ts";
import { tinyMatrix } from "../tests/synth-nn/tiny-matrix.ts";
import { initNodeBackend } from "./tf-backend.ts";
import { selectIntraOpThreads, THREADED_BACKEND } from "./tf-wasm-threads.ts";

/** Values over many magnitudes and both signs, zeros included, so a rounding difference would show. */
function values(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = rng.next() < 0.05 ? 0 : (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 12 - 8);
  }
  return out;
}

// Sizes that are and are not multiples of the kernel's 4 SIMD lanes.
const shapes = [[37, 19], [19], [5, 3, 2], [1], [64, 8]];

/** Six Adam steps from fixed values; the parameters after them, as bytes. */
function sixSteps(config: AdamConfig, opChain: boolean): Buffer[] {
  forceAdamOpChain(opChain);
  try {
    return tf.tidy(() => {
      const params = shapes.map((s, i) => tf.variable(tf.tensor(values(tf.util.sizeFromShape(s), i + 1), s)));
      const adam = new Adam(params, config);
      for (let t = 0; t < 6; t++) {
        const grads = Object.fromEntries(
          params.map((p, i) => [p.name, tf.tensor(values(p.size, 100 * t + i), p.shape)]),
        );
        adam.step(grads);
      }
      const out = params.map((p) => Buffer.from((p.dataSync() as Float32Array).buffer));
      adam.dispose();
      for (const p of params) p.dispose();
      return out;
    });
  } finally {
    forceAdamOpChain(false);
  }
}

async function tvaeWeights(opChain: boolean): Promise<string> {
  forceAdamOpChain(opChain);
  try {
    const model = new TVAE({ epochs: 2, batch_size: 100, compress_dims: [32], decompress_dims: [32] });
    await model.fit(tinyMatrix(300), { rng: createRng(4) });
    const h = createHash("sha256");
    for (const w of model.getState().weights) {
      h.update(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
    }
    model.dispose();
    return h.digest("hex");
  } finally {
    forceAdamOpChain(false);
  }
}

describe("the fused Adam kernel (native/adam.c on tfjs-wasm's heap)", () => {
  beforeAll(async () => {
    await initNodeBackend({ backend: "wasm", fallback: false });
  });
  afterAll(async () => {
    await initNodeBackend({ backend: "wasm", fallback: false });
  });

  for (const backend of ["wasm", THREADED_BACKEND]) {
    for (const weightDecay of [0, 1e-5, 0.3]) {
      it(`on ${backend}, six steps are bit-identical to the op chain (weight decay ${weightDecay})`, async () => {
        await selectIntraOpThreads(backend === "wasm" ? 1 : 2);
        expect(tf.getBackend()).toBe(backend);
        expect(adamKernelActive()).toBe(true);
        const config = { lr: 2e-3, beta1: 0.5, beta2: 0.9, weightDecay };
        const before = tf.memory().numTensors;
        const fused = sixSteps(config, false);
        expect(tf.memory().numTensors).toBe(before);
        const chain = sixSteps(config, true);
        for (const [i, bytes] of fused.entries()) expect(bytes.equals(chain[i])).toBe(true);
        // The steps moved the parameters: identical because both computed, not because neither wrote.
        expect(fused[0].equals(Buffer.from(values(37 * 19, 1).buffer))).toBe(false);
      });
    }
  }

  it("leaves a whole fit's weights exactly as the op chain does", async () => {
    await selectIntraOpThreads(1);
    const fused = await tvaeWeights(false);
    expect(await tvaeWeights(true)).toBe(fused);
  });

  it("is not used where no runtime registered it (the cpu backend)", async () => {
    await initNodeBackend({ backend: "cpu", fallback: false });
    expect(adamKernelActive()).toBe(false);
    expect(sixSteps({ lr: 1e-3, beta1: 0.9, beta2: 0.999, weightDecay: 0 }, false)[0]).toHaveLength(
      37 * 19 * 4,
    );
  });
});
