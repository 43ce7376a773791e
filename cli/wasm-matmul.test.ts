import { createHash } from "node:crypto";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../shared/random.ts";
import { CTGAN } from "../shared/synth/ctgan.ts";
import { TVAE } from "../shared/synth/tvae.ts";
import { tinyMatrix } from "../tests/synth-nn/tiny-matrix.ts";
import { initNodeBackend } from "./tf-backend.ts";
import { forceXnnpackMatMul, gemmProducts } from "./wasm-matmul.ts";

/** Values over many magnitudes and both signs, zeros included, so a rounding difference would show. */
function values(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = rng.next() < 0.05 ? 0 : (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 8 - 4);
  }
  return out;
}

/** The product's bytes. */
function product(a: number[], b: number[], opts: { ta?: boolean; tb?: boolean; xnnpack: boolean }): Buffer {
  forceXnnpackMatMul(opts.xnnpack);
  try {
    return tf.tidy(() => {
      const x = tf.tensor(values(tf.util.sizeFromShape(a), 1), a);
      const y = tf.tensor(values(tf.util.sizeFromShape(b), 2), b);
      const out = tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D, opts.ta, opts.tb);
      return Buffer.from((out.dataSync() as Float32Array).buffer);
    });
  } finally {
    forceXnnpackMatMul(false);
  }
}

async function weightsHash(model: CTGAN | TVAE, xnnpack: boolean): Promise<string> {
  forceXnnpackMatMul(xnnpack);
  try {
    await model.fit(tinyMatrix(300), { rng: createRng(4) });
    const h = createHash("sha256");
    for (const w of model.getState().weights)
      h.update(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
    model.dispose();
    return h.digest("hex");
  } finally {
    forceXnnpackMatMul(false);
  }
}

describe("the wasm matmul kernel (native/gemm.c on tfjs-wasm's heap)", () => {
  beforeAll(async () => {
    await initNodeBackend({ backend: "wasm", fallback: false });
    expect(tf.getBackend()).toBe("wasm");
  });
  afterAll(() => {
    forceXnnpackMatMul(false);
  });

  // Rows and columns on and off the 4 x 8 blocks and their 4-column and single-column remainders; a batch,
  // broadcast either way; and the shapes the kernel hands back (transposed, narrower than 4 columns).
  const cases: [string, number[], number[], boolean, { ta?: boolean; tb?: boolean }?][] = [
    ["blocks only", [8, 16], [16, 32], true],
    ["every remainder", [350, 131], [131, 133], true],
    ["one row", [1, 7], [7, 13], true],
    ["three rows, four columns", [3, 5], [5, 4], true],
    ["a batch", [3, 5, 7], [3, 7, 12], true],
    ["a broadcast left", [1, 5, 7], [3, 7, 12], true],
    ["a broadcast right", [3, 5, 7], [7, 12], true],
    ["narrow, left to XNNPACK", [50, 9], [9, 3], false],
    ["transposed, left to XNNPACK", [9, 50], [9, 11], false, { ta: true }],
    ["transposed right, left to XNNPACK", [50, 9], [11, 9], false, { tb: true }],
  ];
  for (const [name, a, b, byKernel, opts] of cases) {
    it(`is bit-identical to XNNPACK: ${name} ([${a}] x [${b}])`, () => {
      const [before, calls] = [tf.memory().numTensors, gemmProducts()];
      const ours = product(a, b, { ...opts, xnnpack: false });
      expect(tf.memory().numTensors).toBe(before);
      expect(gemmProducts() - calls).toBe(byKernel ? 1 : 0);
      expect(ours.equals(product(a, b, { ...opts, xnnpack: true }))).toBe(true);
      expect(gemmProducts() - calls).toBe(byKernel ? 1 : 0);
    });
  }

  it("gives zeros over an empty inner dimension (XNNPACK refuses the shape and leaves the output unwritten)", () => {
    const calls = gemmProducts();
    const out = tf.matMul(tf.zeros([6, 0]), tf.zeros([0, 9]));
    expect(gemmProducts() - calls).toBe(1);
    expect(out.shape).toEqual([6, 9]);
    expect([...(out.dataSync() as Float32Array)]).toEqual(new Array(54).fill(0));
    out.dispose();
  });

  it("agrees with a product summed by hand", () => {
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [5, 3]);
    const b = tf.tensor2d(
      Array.from({ length: 3 * 9 }, (_, i) => i - 13),
      [3, 9],
    );
    const got = tf.matMul(a, b).arraySync();
    const [av, bv] = [a.arraySync(), b.arraySync()];
    const want = av.map((row) => bv[0].map((_, j) => row.reduce((s, x, p) => s + x * bv[p][j], 0)));
    expect(got).toEqual(want);
    tf.dispose([a, b]);
  });

  it("trains TVAE and CTGAN to the same weights as XNNPACK, byte for byte", async () => {
    const calls = gemmProducts();
    const tvae = () => new TVAE({ epochs: 2, batch_size: 100, compress_dims: [32], decompress_dims: [32] });
    expect(await weightsHash(tvae(), false)).toBe(await weightsHash(tvae(), true));
    const ctgan = () =>
      new CTGAN({
        epochs: 1,
        batch_size: 100,
        generator_dim: [32],
        discriminator_dim: [32],
        embedding_dim: 16,
      });
    expect(await weightsHash(ctgan(), false)).toBe(await weightsHash(ctgan(), true));
    expect(gemmProducts() - calls).toBeGreaterThan(100);
  }, 60_000);
});
