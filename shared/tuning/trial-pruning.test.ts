import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initNodeBackend } from "../../cli/tf-backend.ts";
import { createRng } from "../random.ts";
import { fromRows, type Cell } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { checkpointEpochs, completedCurves, curveOf } from "./checkpoints.ts";
import { medianAtStep } from "./pruning.ts";
import { defaultSpaceInput, parseSpace } from "./space.ts";
import { runTrial, splitForTrials, studyResult, trialRecordSchema, type TrialRecord } from "./trial.ts";

/** The median rule wired into runTrial: checkpoints mid-fit, the decision, the record of a pruned trial. */
function setup() {
  const rng = createRng(3);
  const rows: Cell[][] = [];
  for (let i = 0; i < 160; i++) {
    const g = rng.next() < 0.5 ? "a" : "b";
    rows.push([g, Number(((g === "a" ? 5 : 20) + 2 * rng.normal()).toFixed(1))]);
  }
  const table = fromRows(["g", "x"], rows);
  const metadata: TableMetadata = {
    columns: [
      { name: "g", sdtype: "categorical" },
      { name: "x", sdtype: "numerical" },
    ],
  };
  const { train, holdout } = splitForTrials(table, 1);
  return {
    model: "tvae" as const,
    seed: 1,
    objective: {},
    train,
    holdout,
    metadata,
    realCopyShare: undefined,
  };
}

const params = { epochs: 6, batch_size: 32 };
/** Five completed trials whose curves at epochs 2, 4 and 6 are all `q`. */
const completedAt = (q: number, n = 5) =>
  Array.from(
    { length: n },
    () =>
      new Map([
        [2, q],
        [4, q],
        [6, q],
      ]),
  );

beforeAll(async () => {
  await initNodeBackend({ backend: "wasm" });
});

describe("runTrial with pruning", () => {
  it("a trial below the completed trials' median stops at the first checkpoint past the warm-up one: fewer epochs, no score", async () => {
    const c = setup();
    let epochsRun = 0;
    const before = tf.memory().numTensors;
    const r = await runTrial(params, {
      ...c,
      onEpoch: () => void (epochsRun += 1),
      pruning: { checkpoints: [2, 4, 6], completed: completedAt(0.999) },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.pruned).toBe(true);
    // The first checkpoint is measured but only warms up (studyPruningRule); the second one prunes.
    expect(epochsRun).toBe(4);
    expect(r.epochs_trained).toBe(4);
    expect(r.score).toBeNull();
    expect(r.feasible).toBe(false);
    expect(r.privacy).toBeNull();
    expect(r.intermediate?.map((p) => p.epoch)).toEqual([2, 4]);
    const { epoch, quality } = r.intermediate![1];
    expect(epoch).toBe(4);
    expect(quality).toBeGreaterThan(0);
    expect(quality).toBeLessThan(0.999);
    // The optimiser is told minus the last intermediate quality.
    expect(r.value).toBe(-quality);
    expect(r.reasons).toEqual([expect.stringMatching(/^pruned at epoch 4 of 6: .* median 0.999 of 5/)]);
    expect(r.fit_s).toBeGreaterThan(0);
    expect(r.checkpoint_s).toBeGreaterThan(0);
    expect(trialRecordSchema.parse(JSON.parse(JSON.stringify(r)))).toMatchObject({ pruned: true });
  });

  it("a trial above the median runs to the end and scores exactly what it scores without checkpoints", async () => {
    const c = setup();
    const plain = await runTrial(params, c);
    expect(plain.intermediate).toBeUndefined();
    let epochsRun = 0;
    const r = await runTrial(params, {
      ...c,
      onEpoch: () => void (epochsRun += 1),
      pruning: { checkpoints: [2, 4, 6], completed: completedAt(0.01) },
    });
    expect(r.pruned).toBe(false);
    expect(epochsRun).toBe(6);
    expect(r.score).toBe(plain.score);
    expect(r.quality).toBe(plain.quality);
    expect(r.intermediate?.map((p) => p.epoch)).toEqual([2, 4, 6]);
    // The last checkpoint is the final epoch: its value is the final quality.
    expect(r.intermediate?.[2].quality).toBe(r.quality);
  });

  it("warm-up: with fewer than 5 completed trials nothing is pruned, however poor", async () => {
    const c = setup();
    const r = await runTrial(params, {
      ...c,
      pruning: { checkpoints: [2, 4, 6], completed: completedAt(0.999, 4) },
    });
    expect(r.pruned).toBe(false);
    expect(r.score).not.toBeNull();
    expect(r.intermediate).toHaveLength(3);
  });
});

describe("checkpoints and curves", () => {
  it("25/50/75/100% of the smallest epoch count of the space; none for the copula", () => {
    expect(checkpointEpochs("ctgan", parseSpace(defaultSpaceInput("ctgan")))).toEqual([13, 25, 38, 50]);
    expect(checkpointEpochs("tvae", parseSpace({ batch_size: [10, 50] }))).toEqual([75, 150, 225, 300]);
    expect(checkpointEpochs("tvae", parseSpace({ epochs: [8, 20, 4] }))).toEqual([1, 2, 3, 4]);
    expect(checkpointEpochs("tvae", parseSpace({ epochs: [2, 3] }))).toEqual([1, 2]);
    expect(checkpointEpochs("gaussian_copula", parseSpace(defaultSpaceInput("gaussian_copula")))).toEqual([]);
  });

  it("the completed curves are the unpruned trials' (a pruned or unmeasured trial adds none)", () => {
    const base = { params: {}, score: 0.5, value: -0.5, feasible: true };
    const records: TrialRecord[] = [
      { ...base, pruned: false, intermediate: [{ epoch: 2, quality: 0.4 }] },
      { ...base, pruned: true, score: null, feasible: false, intermediate: [{ epoch: 2, quality: 0.1 }] },
      { ...base, pruned: false },
      { ...base, pruned: false, feasible: false, intermediate: [{ epoch: 2, quality: 0.6 }] },
    ];
    const curves = completedCurves(records);
    expect(curves.map((c) => c.get(2))).toEqual([0.4, 0.6]);
    expect(medianAtStep(2, curves)).toEqual({ median: 0.5, count: 2 });
    expect(curveOf({}).size).toBe(0);
  });

  it("a pruned trial is neither the best nor on the Pareto front", () => {
    const t = (score: number | null, pruned: boolean, fit_s: number): TrialRecord => ({
      params: { epochs: fit_s },
      score,
      value: -(score ?? 0.9),
      feasible: !pruned,
      pruned,
      fit_s,
      privacy: null,
    });
    // Even a hand-edited pruned record with a high score and the shortest fit stays out.
    const r = studyResult([t(0.6, false, 10), t(0.95, true, 1), t(null, true, 2)]);
    expect(r.best?.index).toBe(0);
    expect(r.pareto.map((p) => p.index)).toEqual([0]);
  });
});
