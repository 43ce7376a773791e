import { createHash } from "node:crypto";
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../shared/random.ts";
import { CTGAN } from "../shared/synth/ctgan.ts";
import type { MatrixModel, ParallelFit } from "../shared/synth/matrix-model.ts";
import type { ReplicaSpawner } from "../shared/synth/nn/data-parallel.ts";
import { TVAE } from "../shared/synth/tvae.ts";
import { tinyMatrix } from "../tests/synth-nn/tiny-matrix.ts";
import { AUTO_MIN_ROWS_PER_EPOCH, nodeParallelFit } from "./fit-replica.ts";
import { initNodeBackend } from "./tf-backend.ts";
import { selectIntraOpThreads, THREADED_BACKEND } from "./tf-wasm-threads.ts";

const matrix = tinyMatrix(400);
// Layers of 256 units over batches of 200 rows: enough output tiles for XNNPACK to split over two threads.
const ctgan = () =>
  new CTGAN({
    epochs: 2,
    batch_size: 200,
    embedding_dim: 64,
    generator_dim: [256, 256],
    discriminator_dim: [256, 256],
  });
const tvae = () =>
  new TVAE({ epochs: 2, batch_size: 200, embedding_dim: 64, compress_dims: [256], decompress_dims: [256] });

function hash(data: Iterable<Float32Array>): string {
  const h = createHash("sha256");
  for (const d of data) h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  return h.digest("hex");
}

/** Fits, then fingerprints the weights and a seeded sample; `backend` is the one the fit ran on. */
async function fitted(model: MatrixModel, parallel?: ParallelFit) {
  await model.fit(matrix, { rng: createRng(5), ...(parallel ? { parallel } : {}) });
  const backend = tf.getBackend();
  const weights = hash(model.getState().weights.map((w) => w.data));
  const sample = hash([await model.sampleMatrix(300, createRng(9))]);
  model.dispose();
  return { backend, weights, sample };
}

const noReplicas: ReplicaSpawner = () => {
  throw new Error("this fit must not start replicas");
};

/** A `parallel` option that never goes data-parallel and records what the model asks of the pool. */
function intraOnly(): { parallel: ParallelFit; asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    parallel: {
      threads: 2,
      spawn: noReplicas,
      minCells: Number.POSITIVE_INFINITY,
      intraOp: (threads) => {
        asked.push(threads);
        return selectIntraOpThreads(threads, (reason) => {
          throw new Error(`the threaded build did not start: ${reason}`);
        });
      },
    },
  };
}

describe("intra-op threads (tfjs-wasm's threaded build on Node)", () => {
  beforeAll(async () => {
    await initNodeBackend({ backend: "wasm", fallback: false });
  });
  afterAll(async () => {
    await initNodeBackend({ backend: "wasm", fallback: false });
  });

  it("CTGAN takes two pool threads when it stays off replicas, and the fit is bit-identical to one thread's", async () => {
    const one = await fitted(ctgan());
    expect(one.backend).toBe("wasm");
    const { parallel, asked } = intraOnly();
    const two = await fitted(ctgan(), parallel);
    expect(asked).toEqual([2]);
    expect(two.backend).toBe(THREADED_BACKEND);
    // The pool really has two threads (what BackendWasm's constructor got from XNNPACK).
    expect(getThreadsCount()).toBe(2);
    expect(two.weights).toBe(one.weights);
    expect(two.sample).toBe(one.sample);
  });

  it("CTGAN asks for one thread when the fit is smaller than minIntraOpCells", async () => {
    await selectIntraOpThreads(2);
    const { parallel, asked } = intraOnly();
    const small = await fitted(ctgan(), { ...parallel, minIntraOpCells: 2 * 400 * matrix.width + 1 });
    expect(asked).toEqual([1]);
    expect(small.backend).toBe("wasm");
  });

  it("TVAE asks for one thread and goes back to the one-thread backend; its fit is unchanged", async () => {
    await selectIntraOpThreads(2);
    expect(tf.getBackend()).toBe(THREADED_BACKEND);
    const { parallel, asked } = intraOnly();
    const pooled = await fitted(tvae(), parallel);
    expect(asked).toEqual([1]);
    expect(pooled.backend).toBe("wasm");
    const plain = await fitted(tvae());
    expect(pooled.weights).toBe(plain.weights);
    expect(pooled.sample).toBe(plain.sample);
  });

  it("a model trained on one backend samples on the other (tfjs moves its weights)", async () => {
    const model = ctgan();
    await selectIntraOpThreads(2);
    await model.fit(matrix, { rng: createRng(5) });
    const there = hash([await model.sampleMatrix(300, createRng(9))]);
    await selectIntraOpThreads(1);
    expect(tf.getBackend()).toBe("wasm");
    expect(hash([await model.sampleMatrix(300, createRng(9))])).toBe(there);
    model.dispose();
  });

  it("no thread setting offers intra-op threads (our GEMM beats them), and a process on the cpu backend stays there", async () => {
    expect(nodeParallelFit("auto", 2)?.intraOp).toBeUndefined();
    expect(nodeParallelFit("auto", 2)?.minRowsPerEpoch).toBe(AUTO_MIN_ROWS_PER_EPOCH);
    expect(nodeParallelFit(2, 2)?.intraOp).toBeUndefined();
    expect(nodeParallelFit("auto", 1)).toBeUndefined();
    await initNodeBackend({ backend: "cpu", fallback: false });
    expect(await selectIntraOpThreads(2)).toBe(1);
    expect(tf.getBackend()).toBe("cpu");
  });
});
