import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../shared/random.ts";
import { CTGAN } from "../shared/synth/ctgan.ts";
import type { EpochProgress, MatrixModel, ParallelFit } from "../shared/synth/matrix-model.ts";
import type { ReplicaInit, ReplicaSpawner } from "../shared/synth/nn/data-parallel.ts";
import { TVAE } from "../shared/synth/tvae.ts";
import { synthInProcess } from "../tests/cli/in-process.ts";
import { tinyMatrix } from "../tests/synth-nn/tiny-matrix.ts";
import {
  AUTO_MIN_CELLS,
  AUTO_MIN_ROWS_PER_EPOCH,
  fitThreads,
  nodeParallelFit,
  spawnNodeReplica,
} from "./fit-replica.ts";
import { initNodeBackend } from "./tf-backend.ts";

const matrix = tinyMatrix(600);
const tvae = () =>
  new TVAE({ epochs: 2, batch_size: 200, embedding_dim: 16, compress_dims: [32], decompress_dims: [32] });
const ctgan = () =>
  new CTGAN({
    epochs: 2,
    batch_size: 200,
    embedding_dim: 16,
    generator_dim: [32, 32],
    discriminator_dim: [32, 32],
  });

function weightsHash(model: MatrixModel): string {
  const h = createHash("sha256");
  for (const w of model.getState().weights)
    h.update(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
  return h.digest("hex");
}

async function fit(model: MatrixModel, parallel?: ParallelFit, signal?: AbortSignal) {
  const losses: Record<string, number>[] = [];
  await model.fit(matrix, {
    rng: createRng(3),
    onEpoch: (p: EpochProgress) => {
      losses.push(p.losses);
    },
    ...(parallel ? { parallel } : {}),
    ...(signal ? { signal } : {}),
  });
  return { losses, hash: weightsHash(model) };
}

/** The Node spawner, counting spawns and closes. */
function counting(): { spawn: ReplicaSpawner; spawned: ReplicaInit[]; closed: number } {
  const out = { spawned: [] as ReplicaInit[], closed: 0, spawn: undefined as unknown as ReplicaSpawner };
  out.spawn = (init) => {
    out.spawned.push(init);
    const handle = spawnNodeReplica(init);
    return {
      ready: handle.ready,
      close: async () => {
        out.closed += 1;
        await handle.close();
      },
    };
  };
  return out;
}

describe("data-parallel fits over Node worker threads", () => {
  beforeAll(async () => {
    await initNodeBackend({ backend: "wasm", fallback: false });
  });

  it("TVAE on two threads is the one-thread fit up to float summation order, and byte-identical run to run", async () => {
    const one = await fit(tvae());
    const spawner = counting();
    const before = tf.memory().numTensors;
    const a = tvae();
    const two = await fit(a, { threads: 2, spawn: spawner.spawn });
    expect(spawner.spawned).toHaveLength(1);
    expect(spawner.spawned[0]).toMatchObject({ kind: "tvae", backend: "wasm", width: matrix.width });
    expect(spawner.closed).toBe(1);
    // Every loss term is a mean over rows, so the averaged shares' gradient is the batch's.
    for (const [e, epoch] of two.losses.entries())
      for (const [k, v] of Object.entries(epoch)) expect(v).toBeCloseTo(one.losses[e][k], 4);
    expect(two.hash).not.toBe(one.hash);
    const b = tvae();
    const again = await fit(b, { threads: 2, spawn: spawnNodeReplica });
    expect(again.hash).toBe(two.hash);
    a.dispose();
    b.dispose();
    // The fit leaves nothing behind on the main thread but the model it keeps (disposed above).
    expect(tf.memory().numTensors).toBe(before);
  });

  it("CTGAN on two threads trains, is byte-identical run to run, and samples", async () => {
    const one = await fit(ctgan());
    const model = ctgan();
    const two = await fit(model, { threads: 2, spawn: spawnNodeReplica });
    const again = await fit(ctgan(), { threads: 2, spawn: spawnNodeReplica });
    expect(again.hash).toBe(two.hash);
    // Batch norm is per share (ghost batch norm), so this is a slightly different fit from one thread's.
    expect(two.hash).not.toBe(one.hash);
    for (const epoch of two.losses)
      for (const v of Object.values(epoch)) expect(Number.isFinite(v)).toBe(true);
    expect(model.epochsTrained).toBe(2);
    const rows = await model.sampleMatrix(50, createRng(1));
    expect(rows).toHaveLength(50 * matrix.width);
    model.dispose();
  });

  it("a fit smaller than minCells, or with fewer rows per epoch than minRowsPerEpoch, stays on one thread", async () => {
    const spawner = counting();
    const one = await fit(tvae());
    const small = await fit(tvae(), {
      threads: 2,
      spawn: spawner.spawn,
      minCells: 2 * 600 * matrix.width + 1,
    });
    expect(spawner.spawned).toHaveLength(0);
    expect(small.hash).toBe(one.hash);
    // 600 rows an epoch: below a threshold of 601 one thread, at 600 a replica.
    const atLeast = (rows: number) => ({ threads: 2, spawn: spawner.spawn, minRowsPerEpoch: rows });
    await fit(tvae(), atLeast(601));
    expect(spawner.spawned).toHaveLength(0);
    await fit(tvae(), atLeast(600));
    expect(spawner.spawned.map((s) => s.kind)).toEqual(["tvae"]);
  });

  it("a replica that cannot start fails the fit with INTERNAL_ERROR and leaks no tensor", async () => {
    const before = tf.memory().numTensors;
    const failing: ReplicaSpawner = () => ({
      ready: Promise.reject(new Error("no thread for you")),
      close: async () => undefined,
    });
    for (const model of [tvae(), ctgan()]) {
      await expect(fit(model, { threads: 2, spawn: failing })).rejects.toMatchObject({
        code: "INTERNAL_ERROR",
        details: { reason: "no thread for you" },
      });
      expect(model.epochsTrained).toBe(0);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("an abort mid-fit rejects with ABORTED and ends the replica", async () => {
    const spawner = counting();
    const controller = new AbortController();
    const model = new TVAE({
      epochs: 50,
      batch_size: 200,
      embedding_dim: 16,
      compress_dims: [32],
      decompress_dims: [32],
    });
    const done = model.fit(matrix, {
      rng: createRng(3),
      parallel: { threads: 2, spawn: spawner.spawn },
      signal: controller.signal,
      onEpoch: (p) => {
        if (p.epoch === 2) controller.abort();
      },
    });
    await expect(done).rejects.toMatchObject({ code: "ABORTED" });
    expect(spawner.spawned).toHaveLength(1);
    expect(spawner.closed).toBe(1);
  });

  it("auto takes two threads where there are two cores, one on one core, and only for fits big enough", () => {
    expect(fitThreads("auto", 2)).toBe(2);
    expect(fitThreads("auto", 8)).toBe(2);
    expect(fitThreads("auto", 1)).toBe(1);
    expect(fitThreads(3, 1)).toBe(3);
    expect(nodeParallelFit("auto", 1)).toBeUndefined();
    expect(nodeParallelFit(1, 8)).toBeUndefined();
    expect(nodeParallelFit("auto", 2)).toMatchObject({
      threads: 2,
      minCells: AUTO_MIN_CELLS,
      minRowsPerEpoch: AUTO_MIN_ROWS_PER_EPOCH,
    });
    expect(nodeParallelFit(2, 1)).not.toHaveProperty("minCells");
  });
});

describe("--threads", () => {
  const PENGUINS = new URL("../examples/penguins.csv", import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), "synth-threads-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const synth = synthInProcess;

  it("refuses what is not auto or 1-16, naming the flag, and writes nothing", async () => {
    for (const [value, message] of [
      ["0", "--threads must be at least 1"],
      ["17", "--threads is at most 16"],
      ["two", "--threads must be auto or a whole number"],
    ]) {
      const out = join(dir, `bad-${value}.synth`);
      const r = await synth(
        "fit",
        PENGUINS,
        "--model",
        "tvae",
        "--epochs",
        "1",
        "--threads",
        value,
        "--out",
        out,
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(message);
      expect(() => readFileSync(out)).toThrow();
    }
  });

  it("fits and generates on two threads through the CLI", async () => {
    const out = join(dir, "two.csv");
    const r = await synth(
      "generate",
      PENGUINS,
      "--model",
      "ctgan",
      "--epochs",
      "2",
      "--threads",
      "2",
      "--rows",
      "40",
      "--out",
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(41);
  });
});
