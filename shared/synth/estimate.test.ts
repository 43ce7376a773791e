import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { factor, fitAll, loadMeasurements, type FitRun } from "../../bench/estimate-fit.ts";
import { isSynthError } from "../errors.ts";
import { ctganOptionsSchema } from "./ctgan.ts";
import {
  DEFAULT_EPOCHS,
  epochFeatures,
  estimateFit,
  FIT_COEFFICIENTS,
  layoutForBatch,
  neuralLayout,
  type FitEstimateInput,
} from "./estimate.ts";
import { tvaeOptionsSchema } from "./tvae.ts";

/**
 * The estimate against what was measured (bench/results/estimate*.json, synth.json, nn*.json, read by
 * bench/estimate-fit.ts). The bound: within 2x of every measured point, or within 0.25 s of it, since a
 * fit or sample under a second is mostly timer and scheduler noise on the shared 2-core bench machine.
 */
const FACTOR = 2;
const NOISE_SECONDS = 0.25;
/** Peak RSS: mostly the runtime baseline, plus garbage-collector timing (the same fit varied by 25%). */
const MEMORY_FACTOR = 1.7;

const measurements = loadMeasurements();

const withinTime = (measured: number, estimated: number): boolean =>
  factor(measured, estimated) <= FACTOR || Math.abs(measured - estimated) <= NOISE_SECONDS;

function inputOf(run: FitRun, known: "width" | "counts"): FitEstimateInput {
  return {
    model: run.model,
    rows: run.rows,
    columns: {
      numerical: run.numerical,
      categorical: run.categorical,
      ...(known === "width"
        ? {
            categoriesTotal: run.categoriesTotal,
            transformedWidth: run.width ?? undefined,
            conditionalWidth: run.conditionalWidth ?? undefined,
          }
        : {}),
    },
    epochs: run.epochs ?? undefined,
    // The batch the run resolved, given back: the same layout as its default (or explicit) one.
    batchSize: run.batchSize ?? undefined,
    sampleSize: run.sampleRows,
  };
}

describe("fit estimate coefficients", () => {
  it("are the ones bench/estimate-fit.ts fits to the measurements (rerun it after a bench)", () => {
    const stored = JSON.parse(
      readFileSync(new URL("../../bench/results/estimate-coefficients.json", import.meta.url), "utf8"),
    ) as { coefficients: { measured: string } };
    const { measured, ...fitted } = fitAll().coefficients;
    const { measured: storedDate, ...storedCoefficients } = stored.coefficients;
    expect(storedCoefficients).toEqual(fitted);
    const { measured: constDate, ...constants } = FIT_COEFFICIENTS;
    expect(constants).toEqual(fitted);
    expect(constDate).toBe(storedDate);
    expect(measured).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("predict each measured point left out of the fit within 2x (seconds per epoch, memory)", () => {
    const { errors } = fitAll() as { errors: Record<string, { leaveOneOutMax: number; points: number }> };
    for (const term of ["ctgan.epoch", "tvae.epoch"]) {
      expect(errors[term].points).toBeGreaterThanOrEqual(15);
      expect(errors[term].leaveOneOutMax, term).toBeLessThan(FACTOR);
    }
    for (const term of ["ctgan.memoryMb", "tvae.memoryMb", "gaussian_copula.memoryMb"]) {
      expect(errors[term].leaveOneOutMax, term).toBeLessThan(FACTOR);
    }
  });
});

describe("estimateFit against the measured fits", () => {
  const current = measurements.runs.filter((r) => !r.oldBatchRule);

  it("has measured fits of every model, from a few hundred to tens of thousands of rows", () => {
    for (const model of ["ctgan", "tvae", "gaussian_copula"] as const) {
      const rows = current.filter((r) => r.model === model).map((r) => r.rows);
      expect(Math.min(...rows)).toBeLessThan(300);
      expect(Math.max(...rows)).toBeGreaterThan(70_000);
    }
  });

  it.each(current.map((r) => [r.label, r] as const))(
    "%s: peak memory within 1.7x, fit and sample seconds within 2x (unless the machine was too busy)",
    (_, run) => {
      const e = estimateFit(inputOf(run, "width"));
      expect(factor(run.peakRssMb * 2 ** 20, e.peakMemoryBytes)).toBeLessThan(MEMORY_FACTOR);
      if (!run.timesValid) return;
      expect(withinTime(run.fitSeconds, e.fitSeconds), `fit ${run.fitSeconds} vs ${e.fitSeconds}`).toBe(true);
      expect(
        withinTime(run.sampleSeconds, e.sampleSeconds),
        `sample ${run.sampleSeconds} vs ${e.sampleSeconds}`,
      ).toBe(true);
    },
  );

  it("stays within 2x from the column counts alone (widths derived, not measured)", () => {
    for (const run of current.filter((r) => r.model !== "gaussian_copula" && r.timesValid)) {
      const e = estimateFit(inputOf(run, "counts"));
      expect(
        withinTime(run.fitSeconds, e.fitSeconds),
        `${run.label}: ${run.fitSeconds} vs ${e.fitSeconds}`,
      ).toBe(true);
    }
  });

  it("matches each measured epoch, old batch rule included, within 2x", () => {
    const runs = loadMeasurements().points.filter((p) => p.term.endsWith(".epoch"));
    for (const p of runs) {
      const model = p.term.startsWith("ctgan") ? "ctgan" : "tvae";
      const coefficients: readonly number[] = FIT_COEFFICIENTS[model].epoch;
      const estimated = coefficients.reduce((s, c, i) => s + c * p.features[i], 0);
      expect(factor(p.measured, estimated), p.label).toBeLessThan(FACTOR);
    }
  });
});

describe("estimateFit", () => {
  const base = {
    rows: 5000,
    columns: { numerical: 6, categorical: 6, categoriesTotal: 30 },
    epochs: 300,
    sampleSize: 5000,
  };

  it("grows with rows, width, epochs and sample size", () => {
    for (const model of ["ctgan", "tvae", "gaussian_copula"] as const) {
      const at = (over: Partial<FitEstimateInput>) => estimateFit({ ...base, model, ...over });
      const rowsGrid = [50, 240, 1000, 2828, 10_000, 50_000, 250_000, 1_000_000];
      const byRows = rowsGrid.map((rows) => at({ rows, sampleSize: rows }));
      for (let i = 1; i < byRows.length; i++) {
        expect(byRows[i].fitSeconds).toBeGreaterThan(byRows[i - 1].fitSeconds);
        expect(byRows[i].sampleSeconds).toBeGreaterThan(byRows[i - 1].sampleSeconds);
        expect(byRows[i].peakMemoryBytes).toBeGreaterThan(byRows[i - 1].peakMemoryBytes);
      }
      const byColumns = [2, 10, 40, 160].map((n) =>
        at({ columns: { numerical: n, categorical: n, categoriesTotal: 4 * n } }),
      );
      for (let i = 1; i < byColumns.length; i++) {
        expect(byColumns[i].fitSeconds).toBeGreaterThan(byColumns[i - 1].fitSeconds);
        expect(byColumns[i].peakMemoryBytes).toBeGreaterThan(byColumns[i - 1].peakMemoryBytes);
      }
      const bySample = [0, 1000, 100_000].map((sampleSize) => at({ sampleSize }));
      for (let i = 1; i < bySample.length; i++) {
        expect(bySample[i].sampleSeconds).toBeGreaterThan(bySample[i - 1].sampleSeconds);
      }
      if (model === "gaussian_copula") continue;
      const byWidth = [20, 80, 320].map((w) =>
        at({ columns: { ...base.columns, transformedWidth: w, conditionalWidth: 30 } }),
      );
      for (let i = 1; i < byWidth.length; i++)
        expect(byWidth[i].fitSeconds).toBeGreaterThan(byWidth[i - 1].fitSeconds);
      const byEpochs = [1, 10, 300, 1000].map((epochs) => at({ epochs }));
      for (let i = 1; i < byEpochs.length; i++) {
        expect(byEpochs[i].fitSeconds).toBeGreaterThan(byEpochs[i - 1].fitSeconds);
      }
      // Linear in epochs: the marginal epoch costs the estimated seconds per epoch.
      expect(byEpochs[3].fitSeconds - byEpochs[2].fitSeconds).toBeCloseTo(
        700 * (byEpochs[2].secondsPerEpoch ?? 0),
        6,
      );
    }
  });

  it("follows the fits' default batches (nn/batch.ts) and their default epochs", () => {
    expect(ctganOptionsSchema.parse({}).epochs).toBe(DEFAULT_EPOCHS);
    expect(tvaeOptionsSchema.parse({}).epochs).toBe(DEFAULT_EPOCHS);
    // CTGAN: 500, at most the rows in whole pac groups (one step on small tables); TVAE: at most rows / 10.
    expect(neuralLayout("ctgan", 240)).toEqual({ batchSize: 240, stepsPerEpoch: 1, rowsPerEpoch: 240 });
    expect(neuralLayout("ctgan", 19_709)).toEqual({
      batchSize: 500,
      stepsPerEpoch: 39,
      rowsPerEpoch: 19_500,
    });
    expect(neuralLayout("tvae", 240)).toEqual({ batchSize: 24, stepsPerEpoch: 10, rowsPerEpoch: 240 });
    expect(neuralLayout("tvae", 2828)).toEqual({ batchSize: 282, stepsPerEpoch: 11, rowsPerEpoch: 2828 });
    expect(neuralLayout("tvae", 19_709)).toEqual({ batchSize: 500, stepsPerEpoch: 40, rowsPerEpoch: 19_709 });
    const e = estimateFit({ ...base, model: "tvae", epochs: undefined });
    expect(e.epochs).toBe(300);
    expect(e.batchSize).toBe(500);
    expect(e.stepsPerEpoch).toBe(10);
    expect(e.basis).toContain("300 epochs of 10 steps of batch 500");
  });

  it("gives the Gaussian copula no epochs: the epochs asked for change nothing", () => {
    const one = estimateFit({ ...base, model: "gaussian_copula", epochs: 1 });
    const many = estimateFit({ ...base, model: "gaussian_copula", epochs: 1000 });
    expect(many).toEqual(one);
    expect(one.epochs).toBeNull();
    expect(one.secondsPerEpoch).toBeNull();
    expect(one.basis).toContain("no epochs");
    // The copula is the fast model: well under a neural fit of the same table.
    expect(one.fitSeconds * 100).toBeLessThan(estimateFit({ ...base, model: "tvae" }).fitSeconds);
  });

  it("costs a smaller batch more per epoch (more steps, the same rows)", () => {
    const at = (batchSize: number) => estimateFit({ ...base, model: "tvae", batchSize }).secondsPerEpoch ?? 0;
    expect(at(100)).toBeGreaterThan(at(500));
    const small = layoutForBatch("ctgan", 5000, 100);
    expect(epochFeatures("ctgan", small, 50, 10)[0]).toBe(50);
  });

  it("refuses what the fit would refuse, and malformed input", () => {
    const refused = (input: FitEstimateInput, code: "INVALID_MODEL_CONFIG" | "VALIDATION_ERROR") => {
      try {
        estimateFit(input);
      } catch (error) {
        expect(isSynthError(error, code), String(error)).toBe(true);
        return;
      }
      throw new Error("accepted");
    };
    refused({ ...base, model: "ctgan", batchSize: 6000 }, "INVALID_MODEL_CONFIG");
    refused({ ...base, model: "tvae", rows: 0 }, "VALIDATION_ERROR");
    refused({ ...base, model: "tvae", columns: { numerical: 0, categorical: 0 } }, "VALIDATION_ERROR");
    refused({ ...base, model: "tvae", epochs: 1.5 }, "VALIDATION_ERROR");
  });
});
