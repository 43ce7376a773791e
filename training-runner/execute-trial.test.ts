import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { BlobStore } from "../shared/platform/storage.ts";
import { executeTrial, trialPruning, type StudyTrialRow } from "./execute-trial.ts";

/** What a runner's trial compares against: the run's checkpoints and its finished trials' curves. */
const row = (metrics: StudyTrialRow["metrics"], score: number | null = 0.5): StudyTrialRow => ({
  params: { epochs: 4 },
  score,
  metrics,
  proposal: { by: "random" },
});
const measured = (pruned: boolean, points: [number, number][]) =>
  row(
    {
      value: -0.5,
      feasible: !pruned,
      pruned,
      fit_s: 1,
      intermediate: points.map(([epoch, quality]) => ({ epoch, quality })),
    },
    pruned ? null : 0.5,
  );

describe("trialPruning", () => {
  it("checkpoints from the run's stored space; curves of the succeeded, unpruned trials only", () => {
    const p = trialPruning("tvae", { epochs: { min: 4, max: 10, log: false } }, [
      measured(false, [
        [1, 0.4],
        [2, 0.5],
      ]),
      measured(true, [[1, 0.1]]),
      // Measured before pruning existed, or not measured at all.
      row({ value: -0.6, feasible: true, pruned: false }),
      row(null, null),
      measured(false, [[1, 0.7]]),
    ]);
    expect(p).toEqual({
      checkpoints: [1, 2, 3, 4],
      completed: [
        [
          [1, 0.4],
          [2, 0.5],
        ],
        [[1, 0.7]],
      ],
    });
  });

  it("a space without epochs uses the model's default; a curve that does not parse is left out", () => {
    const junk = row({ value: -0.5, feasible: true, pruned: false, intermediate: [{ epoch: "one" }] });
    expect(trialPruning("ctgan", { batch_size: { min: 10, max: 50, log: false } }, [junk])).toEqual({
      checkpoints: [75, 150, 225, 300],
      completed: [],
    });
  });

  it("nothing to prune for the copula, nor when the stored space is unreadable", () => {
    expect(trialPruning("gaussian_copula", { enforceRounding: [true, false] }, [])).toBeUndefined();
    expect(trialPruning("tvae", undefined, [])).toBeUndefined();
  });
});

describe("executeTrial (inline) with the run's finished trials", () => {
  const owner = randomUUID();
  const runId = randomUUID();
  const datasetId = randomUUID();
  const run = {
    id: runId,
    owner_id: owner,
    dataset_id: datasetId,
    model_type: "tvae",
    seed: 2,
    objective: { kind: "quality" },
    search_space: { epochs: { min: 4, max: 8, log: false }, batch_size: { min: 20, max: 100, log: false } },
  };
  const storage = {
    download: async () =>
      new Uint8Array(await readFile(new URL("../examples/penguins.csv", import.meta.url))),
  } as unknown as BlobStore;
  const trial = (studyTrials: StudyTrialRow[]) =>
    executeTrial(
      { id: randomUUID(), run_id: runId, owner_id: owner, params: { epochs: 4, batch_size: 50 } },
      run,
      {
        storage,
        datasetRow: { id: datasetId, owner_id: owner, storage_path: `${owner}/penguins.csv`, format: "csv" },
        signal: new AbortController().signal,
        reportProgress: () => {},
        limits: { memoryBytes: 2 ** 31 },
        compute: "inline",
        backend: "wasm",
        studyTrials,
      },
    );

  const curve = (metrics: unknown) =>
    (metrics as { intermediate?: { epoch: number; quality: number }[] }).intermediate;

  it("stores the trial's curve in its metrics; below the finished trials' median it is pruned", async () => {
    const free = await trial([]);
    expect(free.score).toEqual(expect.any(Number));
    expect(free.metrics.pruned).toBe(false);
    expect(curve(free.metrics)?.map((p) => p.epoch)).toEqual([1, 2, 3, 4]);

    const better = Array.from({ length: 5 }, () =>
      measured(false, [
        [1, 0.999],
        [2, 0.999],
      ]),
    );
    const pruned = await trial(better);
    expect(pruned.score).toBeNull();
    // Epoch 1 is the warm-up checkpoint (studyPruningRule): measured, not judged; epoch 2 prunes.
    expect(pruned.metrics).toMatchObject({ pruned: true, feasible: false, epochs_trained: 2 });
    expect(curve(pruned.metrics)).toEqual(curve(free.metrics)?.slice(0, 2));
  }, 60_000);
});
