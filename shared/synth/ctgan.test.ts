import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initNodeBackend } from "../../cli/tf-backend.ts";
import { isSynthError } from "../errors.ts";
import { createRng } from "../random.ts";
import { runModelContract } from "../../tests/synth-nn/model-contract.ts";
import { argmaxes, LEVEL_RATES, tinyMatrix } from "../../tests/synth-nn/tiny-matrix.ts";
import { CTGAN, ctganOptionsSchema, type CtganOptions } from "./ctgan.ts";

/** Reference architecture shrunk so that tests stay fast; every other hyperparameter at its default. */
const small = (epochs: number, extra: CtganOptions = {}): CtganOptions => ({
  epochs,
  batch_size: 100,
  embedding_dim: 16,
  generator_dim: [32, 32],
  discriminator_dim: [32, 32],
  ...extra,
});

for (const backend of ["wasm", "cpu"] as const) {
  runModelContract(
    {
      name: "CTGAN",
      make: (epochs) => new CTGAN(small(epochs)),
      restore: (s) => CTGAN.fromState(s),
      oneHot: false,
    },
    backend,
  );
}

describe("CTGAN", () => {
  beforeAll(async () => {
    await initNodeBackend({ backend: "wasm", fallback: false });
  });

  it("has the reference defaults", () => {
    expect(new CTGAN().config).toEqual({
      epochs: 300,
      embedding_dim: 128,
      generator_dim: [256, 256],
      discriminator_dim: [256, 256],
      generator_lr: 2e-4,
      generator_decay: 1e-6,
      discriminator_lr: 2e-4,
      discriminator_decay: 1e-6,
      discriminator_steps: 1,
      log_frequency: true,
      pac: 10,
    });
    expect(ctganOptionsSchema.parse({})).toEqual(new CTGAN().config);
  });

  it("trains 245 rows in batches of 240 (whole pac groups) by default and refuses more than the rows", async () => {
    const before = tf.memory().numTensors;
    const model = new CTGAN({ ...small(1), batch_size: undefined });
    await model.fit(tinyMatrix(245), { rng: createRng(1) });
    const state = model.getState();
    // The reference's 500 drew every row of a table this small about twice per step.
    expect(state.config.batch_size).toBe(240);
    expect(model.batchSize).toBe(240);
    const restored = CTGAN.fromState(state);
    expect(await restored.sampleMatrix(30, createRng(5))).toEqual(await model.sampleMatrix(30, createRng(5)));
    restored.dispose();
    model.dispose();
    const explicit = new CTGAN(small(1, { batch_size: 500 }));
    await expect(explicit.fit(tinyMatrix(245), { rng: createRng(1) })).rejects.toMatchObject({
      code: "INVALID_MODEL_CONFIG",
      details: { batch_size: 500, rows: 245 },
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it("rejects invalid options, and at fit() a batch size that pac does not divide", async () => {
    for (const bad of [{ epochs: 0 }, { pac: 1.5 }, { generator_dim: [-1] }, { learning_rate: 1 }]) {
      expect(() => new CTGAN(bad as CtganOptions)).toThrow(
        expect.objectContaining({ code: "INVALID_MODEL_CONFIG" }),
      );
    }
    const model = new CTGAN({ batch_size: 105, pac: 10 });
    await expect(model.fit(tinyMatrix(50), { rng: createRng(1) })).rejects.toSatisfy((e: unknown) =>
      isSynthError(e, "INVALID_MODEL_CONFIG"),
    );
  });

  it("rejects a matrix whose spans do not match or that holds non-finite values", async () => {
    const m = tinyMatrix(50);
    const model = new CTGAN(small(1));
    await expect(
      model.fit({ ...m, width: 9, data: new Float32Array(450) }, { rng: createRng(1) }),
    ).rejects.toThrow(/cover 8 columns/);
    const data = m.data.slice();
    data[17] = Number.NaN;
    await expect(model.fit({ ...m, data }, { rng: createRng(1) })).rejects.toSatisfy(
      (e: unknown) => isSynthError(e, "VALIDATION_ERROR") && e.details.row === 2,
    );
  });

  it("trains with finite losses, the generator's loss and the gradient penalty going down on an easy problem", async () => {
    const losses: Record<string, number>[] = [];
    const model = new CTGAN(small(40));
    await model.fit(tinyMatrix(500), { rng: createRng(1), onEpoch: (p) => void losses.push(p.losses) });
    expect(losses.every((l) => Object.values(l).every(Number.isFinite))).toBe(true);
    const mean = (key: string, from: number, to: number) =>
      losses.slice(from, to).reduce((a, l) => a + l[key], 0) / (to - from);
    expect(mean("generator", 35, 40)).toBeLessThan(mean("generator", 0, 5));
    expect(mean("gradient_penalty", 35, 40)).toBeLessThan(mean("gradient_penalty", 0, 5) / 2);
    model.dispose();
  });

  it("puts a conditioned level far above its base rate, like ctgan's sample(condition_column, value)", async () => {
    const model = new CTGAN(small(50));
    await model.fit(tinyMatrix(1000), { rng: createRng(1) });
    const rate = async (level: number, condition: boolean): Promise<number> => {
      const out = await model.sampleMatrix(
        1000,
        createRng(2),
        condition ? { columnIndex: 1, level } : undefined,
      );
      return argmaxes(out, 8, 3, 3).filter((l) => l === level).length / 1000;
    };
    const conditioned = await rate(2, true);
    expect(conditioned).toBeGreaterThan(10 * LEVEL_RATES[2]);
    expect(conditioned).toBeGreaterThan(2 * (await rate(2, false)));
    expect(await rate(1, true)).toBeGreaterThan(3 * LEVEL_RATES[1]);
    await expect(model.sampleMatrix(10, createRng(1), { columnIndex: 0, level: 0 })).rejects.toSatisfy(
      (e: unknown) => isSynthError(e, "VALIDATION_ERROR"),
    );
    await expect(model.sampleMatrix(10, createRng(1), { columnIndex: 1, level: 3 })).rejects.toSatisfy(
      (e: unknown) => isSynthError(e, "VALIDATION_ERROR"),
    );
    model.dispose();
    expect(tf.memory().numTensors).toBe(0);
  });

  it("trains without a conditional vector when no column is discrete, and on tanh-only matrices", async () => {
    const rng = createRng(4);
    const rows = 200;
    for (const columns of [
      [
        {
          column: "x",
          kind: "continuous" as const,
          spans: [
            { dim: 1, activation: "tanh" as const },
            { dim: 2, activation: "softmax" as const },
          ],
        },
      ],
      [{ column: "x", kind: "continuous" as const, spans: [{ dim: 1, activation: "tanh" as const }] }],
    ]) {
      const width = columns[0].spans.reduce((a, sp) => a + sp.dim, 0);
      const data = new Float32Array(rows * width);
      for (let r = 0; r < rows; r++) {
        data[r * width] = Math.tanh(rng.normal());
        if (width > 1) data[r * width + 1 + rng.int(2)] = 1;
      }
      const model = new CTGAN(small(2));
      await model.fit({ data, rows, width, columns }, { rng: createRng(1) });
      const out = await model.sampleMatrix(20, createRng(2));
      expect(out.length).toBe(20 * width);
      expect(out.every((v) => Number.isFinite(v) && Math.abs(v) <= 1)).toBe(true);
      const restored = CTGAN.fromState(model.getState());
      expect(restored.getState().extra.levelProbs).toEqual([]);
      restored.dispose();
      model.dispose();
    }
  });

  it("trains and samples with the reference's full-size defaults", async () => {
    const model = new CTGAN({ epochs: 1 });
    await model.fit(tinyMatrix(600), { rng: createRng(1) });
    const out = await model.sampleMatrix(10, createRng(2));
    expect(out.length).toBe(80);
    expect(out.every(Number.isFinite)).toBe(true);
    // Generator input: embedding 128 + conditional vector (3 + 2 levels); residual blocks of 256 concatenated.
    const shapes = Object.fromEntries(model.getState().weights.map((w) => [w.name, w.shape]));
    expect(shapes["residual0.fc.weight"]).toEqual([133, 256]);
    expect(shapes["residual1.fc.weight"]).toEqual([389, 256]);
    expect(shapes["residual1.bn.running_var"]).toEqual([256]);
    expect(shapes["out.weight"]).toEqual([645, 8]);
    model.dispose();
  });
});
