import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initNodeBackend } from "../../cli/tf-backend.ts";
import { createRng } from "../random.ts";
import { runModelContract } from "../../tests/synth-nn/model-contract.ts";
import { argmaxes, LEVEL_RATES, tinyMatrix } from "../../tests/synth-nn/tiny-matrix.ts";
import { buildLayout } from "./nn/layout.ts";
import { klDivergence, reconstructionLoss, TVAE, tvaeOptionsSchema, type TvaeOptions } from "./tvae.ts";

const small = (epochs: number, extra: TvaeOptions = {}): TvaeOptions => ({
  epochs,
  batch_size: 100,
  embedding_dim: 16,
  compress_dims: [32, 32],
  decompress_dims: [32, 32],
  ...extra,
});

for (const backend of ["wasm", "cpu"] as const) {
  runModelContract(
    {
      name: "TVAE",
      make: (epochs) => new TVAE(small(epochs)),
      restore: (s) => TVAE.fromState(s),
      oneHot: true,
    },
    backend,
  );
}

describe("TVAE", () => {
  beforeAll(async () => {
    await initNodeBackend({ backend: "wasm", fallback: false });
  });

  it("has the reference defaults", () => {
    expect(new TVAE().config).toEqual({
      epochs: 300,
      embedding_dim: 128,
      compress_dims: [128, 128],
      decompress_dims: [128, 128],
      l2scale: 1e-5,
      loss_factor: 2,
      learning_rate: 1e-3,
    });
    expect(tvaeOptionsSchema.parse({})).toEqual(new TVAE().config);
    expect(() => new TVAE({ l2scale: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_MODEL_CONFIG" }),
    );
  });

  it("trains 240 rows in batches of a tenth of them by default, keeps that batch in its state, refuses more than the rows", async () => {
    const before = tf.memory().numTensors;
    const model = new TVAE({ ...small(1), batch_size: undefined });
    await model.fit(tinyMatrix(240), { rng: createRng(1) });
    const state = model.getState();
    // The reference's 500 made every epoch one step on a table this small.
    expect(state.config.batch_size).toBe(24);
    expect(model.batchSize).toBe(24);
    const restored = TVAE.fromState(state);
    expect(restored.batchSize).toBe(24);
    expect(await restored.sampleMatrix(30, createRng(5))).toEqual(await model.sampleMatrix(30, createRng(5)));
    restored.dispose();
    model.dispose();
    const explicit = new TVAE(small(1, { batch_size: 500 }));
    await expect(explicit.fit(tinyMatrix(240), { rng: createRng(1) })).rejects.toMatchObject({
      code: "INVALID_MODEL_CONFIG",
      details: { batch_size: 500, rows: 240 },
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it("computes the reference loss: Gaussian NLL of tanh spans + cross-entropy, times factor, over rows; KL", () => {
    const layout = buildLayout(tinyMatrix(1).columns, 8);
    const recon = [0.2, 1, -1, 0.5, 0, -0.5, 2, 0];
    const real = [0.1, 0, 1, 0, 0, 1, 1, 0];
    const sigma = [0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
    // Internal order: tanh x, then size-2 spans (x's modes, flag), then size-3 (level).
    const perm = Array.from(layout.order);
    const internal = (row: number[]) => perm.map((j) => row[j]);
    const lse = (z: number[]) => Math.log(z.reduce((a, v) => a + Math.exp(v), 0));
    const expected =
      2 *
      ((0.1 - Math.tanh(0.2)) ** 2 / 2 / 0.25 +
        Math.log(0.5) +
        (lse([1, -1]) - -1) +
        (lse([0.5, 0, -0.5]) - -0.5) +
        (lse([2, 0]) - 2));
    const value = tf.tidy(() => {
      const realInternal = internal(real);
      const target = realInternal.slice(layout.tanhCount);
      return reconstructionLoss(
        tf.tensor2d([internal(recon)]),
        tf.tensor2d([realInternal]),
        tf.tensor2d([target]),
        tf.tensor1d(internal(sigma)),
        layout,
        2,
      ).dataSync()[0];
    });
    expect(value).toBeCloseTo(expected, 4);
    const kl = tf.tidy(
      () => klDivergence(tf.tensor2d([[0.5, -1]]), tf.tensor2d([[0, Math.log(2)]])).dataSync()[0],
    );
    expect(kl).toBeCloseTo(-0.5 * (1 + 0 - 0.25 - 1 + (1 + Math.log(2) - 1 - 2)), 5);
  });

  it("drives its loss down on an easy problem and learns how the columns go together", async () => {
    const losses: number[] = [];
    const model = new TVAE(small(40));
    await model.fit(tinyMatrix(1000), { rng: createRng(1), onEpoch: (p) => void losses.push(p.losses.loss) });
    expect(losses.every(Number.isFinite)).toBe(true);
    const mean = (from: number, to: number) =>
      losses.slice(from, to).reduce((a, b) => a + b, 0) / (to - from);
    expect(mean(35, 40)).toBeLessThan(mean(0, 5) - 5);
    const out = await model.sampleMatrix(2000, createRng(2));
    // TVAE decodes softmax spans by argmax, so after this little training rare levels are under-sampled
    // (the reference does the same); the majority level and the level -> mode dependency are learned.
    const levels = argmaxes(out, 8, 3, 3);
    const modes = argmaxes(out, 8, 1, 2);
    expect(levels.filter((l) => l === 0).length / 2000).toBeGreaterThan(LEVEL_RATES[0] - 0.1);
    const zeroRows = levels.flatMap((l, r) => (l === 0 ? [r] : []));
    expect(zeroRows.filter((r) => modes[r] === 0).length / zeroRows.length).toBeGreaterThan(0.9);
    // The scalar follows its mode (real: mode 0 around -0.5, mode 1 around +0.5; sampled with sigma noise).
    const meanOf = (mode: number) => {
      const xs = modes.flatMap((m, r) => (m === mode ? [out[r * 8]] : []));
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(meanOf(0)).toBeLessThan(-0.2);
    expect(meanOf(1)).toBeGreaterThan(meanOf(0) + 0.3);
    model.dispose();
  });
});
