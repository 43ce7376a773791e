/**
 * The MatrixModel contract both neural models must honour, run on every tfjs backend (the way tfjs runs
 * one suite per backend): sample shapes and activations, reproducibility, state round trip, abort, time
 * budget, tensor hygiene.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initNodeBackend } from "../../cli/tf-backend.ts";
import { isSynthError } from "../../shared/errors.ts";
import { createRng } from "../../shared/random.ts";
import type { EpochProgress, MatrixModel, MatrixModelState } from "../../shared/synth/matrix-model.ts";
import { tinyMatrix } from "./tiny-matrix.ts";

export interface ContractSubject {
  name: string;
  /** A small configuration for `epochs` epochs. */
  make(epochs: number): MatrixModel;
  restore(state: MatrixModelState): MatrixModel;
  /** Whether softmax spans come out exactly one-hot (TVAE) or as Gumbel-softmax probabilities (CTGAN). */
  oneHot: boolean;
}

const SOFTMAX_SPANS: [number, number][] = [
  [1, 3],
  [3, 6],
  [6, 8],
];

export function runModelContract(subject: ContractSubject, backend: "wasm" | "cpu"): void {
  describe(`${subject.name} on the ${backend} backend`, () => {
    const matrix = tinyMatrix(300);

    beforeAll(async () => {
      const info = await initNodeBackend({ backend, fallback: false });
      expect(info.backend).toBe(backend);
    });

    it("samples rows x width with tanh spans in [-1, 1] and softmax spans on the simplex", async () => {
      const model = subject.make(2);
      await model.fit(matrix, { rng: createRng(1) });
      const rows = 123;
      const out = await model.sampleMatrix(rows, createRng(2));
      expect(out.length).toBe(rows * matrix.width);
      for (let r = 0; r < rows; r++) {
        const row = out.subarray(r * matrix.width, (r + 1) * matrix.width);
        expect(Math.abs(row[0])).toBeLessThanOrEqual(1);
        for (const [s, e] of SOFTMAX_SPANS) {
          const span = Array.from(row.subarray(s, e));
          expect(span.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
          expect(span.every((v) => v >= 0 && v <= 1)).toBe(true);
          if (subject.oneHot) expect(span.filter((v) => v === 1).length).toBe(1);
        }
      }
      expect((await model.sampleMatrix(0, createRng(2))).length).toBe(0);
      model.dispose();
    });

    it("gives byte-identical samples for the same data, config and seed, and different ones for another seed", async () => {
      const runs: Float32Array[] = [];
      for (const seed of [5, 5, 6]) {
        const model = subject.make(2);
        await model.fit(matrix, { rng: createRng(seed) });
        runs.push(await model.sampleMatrix(200, createRng(9)));
        model.dispose();
      }
      const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      expect(bytes(runs[1])).toEqual(bytes(runs[0]));
      expect(bytes(runs[2])).not.toEqual(bytes(runs[0]));
    });

    it("restores from its state and samples exactly the same rows for the same seed", async () => {
      const model = subject.make(2);
      await model.fit(matrix, { rng: createRng(3) });
      const state = model.getState();
      expect(state.weights.every((w) => w.data instanceof Float32Array)).toBe(true);
      const restored = subject.restore(structuredClone(state));
      const a = await model.sampleMatrix(150, createRng(4));
      const b = await restored.sampleMatrix(150, createRng(4));
      expect(Array.from(b)).toEqual(Array.from(a));
      const cond = { columnIndex: 1, level: 2 };
      expect(Array.from(await restored.sampleMatrix(50, createRng(5), cond))).toEqual(
        Array.from(await model.sampleMatrix(50, createRng(5), cond)),
      );
      model.dispose();
      restored.dispose();
      const broken = structuredClone(state);
      broken.weights[0] = { ...broken.weights[0], shape: [1, 1], data: new Float32Array(1) };
      expect(() => subject.restore(broken)).toThrow(expect.objectContaining({ code: "INVALID_ARTIFACT" }));
    });

    it("keeps the tensor count flat across epochs, fits and samples", async () => {
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      const model = subject.make(4);
      await model.fit(matrix, { rng: createRng(1), onEpoch: () => void counts.push(tf.memory().numTensors) });
      expect(new Set(counts).size).toBe(1);
      const afterFit = tf.memory().numTensors;
      await model.sampleMatrix(700, createRng(2));
      await model.sampleMatrix(10, createRng(2), { columnIndex: 1, level: 0 });
      expect(tf.memory().numTensors).toBe(afterFit);
      await model.fit(matrix, { rng: createRng(2) });
      expect(tf.memory().numTensors).toBe(afterFit);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it("stops within one epoch when aborted, rejecting with ABORTED and leaking nothing", async () => {
      const before = tf.memory().numTensors;
      const controller = new AbortController();
      const seen: EpochProgress[] = [];
      const model = subject.make(50);
      const fit = model.fit(matrix, {
        rng: createRng(1),
        signal: controller.signal,
        onEpoch: (p) => {
          seen.push(p);
          if (p.epoch === 2) controller.abort();
        },
      });
      await expect(fit).rejects.toSatisfy((e: unknown) => isSynthError(e, "ABORTED"));
      expect(seen.length).toBe(2);
      expect(tf.memory().numTensors).toBe(before);
      await expect(model.sampleMatrix(1, createRng(1))).rejects.toSatisfy((e: unknown) =>
        isSynthError(e, "MODEL_NOT_FITTED"),
      );
    });

    it("stops when aborted from another task mid-training", async () => {
      const controller = new AbortController();
      const model = subject.make(10_000);
      let epochs = 0;
      setTimeout(() => controller.abort(), 150);
      await expect(
        model.fit(matrix, {
          rng: createRng(1),
          signal: controller.signal,
          onEpoch: () => void (epochs += 1),
        }),
      ).rejects.toSatisfy((e: unknown) => isSynthError(e, "ABORTED"));
      expect(epochs).toBeLessThan(10_000);
    });

    it("reports progress each epoch and stops early on a time budget, keeping a usable model", async () => {
      const seen: EpochProgress[] = [];
      const model = subject.make(10_000);
      // A clock that advances 5 ms per reading: the budget then ends training after the same number of
      // steps on a quiet or a loaded machine (a real clock let one slow first epoch exhaust the budget).
      let t = 0;
      const now = (): number => (t += 5);
      await model.fit(matrix, {
        rng: createRng(1),
        timeBudgetMs: 300,
        now,
        onEpoch: (p) => void seen.push(p),
      });
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.length).toBeLessThan(10_000);
      seen.forEach((p, i) => {
        expect(p.epoch).toBe(i + 1);
        expect(p.epochs).toBe(10_000);
        expect(Object.values(p.losses).every(Number.isFinite)).toBe(true);
        if (i > 0) expect(p.elapsedMs).toBeGreaterThanOrEqual(seen[i - 1].elapsedMs);
      });
      expect(seen.at(-1)?.etaMs).toBe(0);
      expect(seen[0].etaMs).toBeGreaterThan(0);
      expect((await model.sampleMatrix(10, createRng(1))).length).toBe(10 * matrix.width);
      model.dispose();
    });
  });
}
