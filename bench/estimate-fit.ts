/**
 * Fits the coefficients of shared/synth/estimate.ts to measured runs and writes them, with the error of the
 * estimate on every measured point (in-sample and leave-one-out), to bench/results/estimate-coefficients.json:
 * `npx tsx bench/estimate-fit.ts` (after `npm run bench -- estimate`). Copy the printed coefficients into
 * FIT_COEFFICIENTS (shared/synth/estimate.test.ts fails while they differ).
 *
 * Points: bench/results/estimate.json and estimate-pass1.json (`npm run bench -- estimate`, two passes of the
 * same cases on the current code and batch rule; the first in wall seconds, the second in CPU seconds; per
 * case the least time of the passes run at a load up to MAX_LOAD_FOR_TIMES), estimate-sample.json (`--group
 * sample`: sampled rows apart from training rows), and the older synth.json (10-epoch fits, sample, peak
 * RSS; wall seconds, load about 1.6) and nn.json / nn-quiet-defaults.json (CPU seconds per epoch), which ran
 * before the batch rule of 2026-12-02 (86779fc): every batch was 500 then, and their layouts are computed
 * with that batch. Their transformed widths are those estimate.json measured for the same dataset (same
 * protocol split and seed). `npm run bench -- estimate` takes about 4 minutes of one core.
 *
 * Each term is fitted by non-negative least squares on relative error (every subset of the terms solved,
 * the best all-non-negative one kept): a cost is never negative, and a 2x miss on a 0.1 s fit matters as
 * much to the estimate as one on a 100 s fit.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  copulaFitFeatures,
  epochFeatures,
  layoutForBatch,
  memoryFeatures,
  sampleFeatures,
  transformerFeatures,
  warmupFeatures,
  type EstimateModel,
} from "../shared/synth/estimate.ts";
import { median } from "./lib/args.ts";

const RESULTS = new URL("./results/", import.meta.url);
const OUT = new URL("estimate-coefficients.json", RESULTS);
/**
 * Above this 1-minute load average (after the run) a run's times are left out: on 2 cores, three times
 * oversubscribed, even CPU seconds came out up to 2x those of the same fit on a quiet machine (SMT siblings,
 * caches). Its peak RSS, which the load does not change, is kept.
 */
export const MAX_LOAD_FOR_TIMES = 6;
const ESTIMATE_FILES = ["estimate.json", "estimate-pass1.json", "estimate-sample.json"];
/** The batch every fit used before the batch rule of 86779fc (2026-12-02). */
const OLD_BATCH = 500;

type Neural = Exclude<EstimateModel, "gaussian_copula">;
export type Term =
  | "transformer"
  | "ctgan.epoch"
  | "tvae.epoch"
  | "ctgan.warmup"
  | "tvae.warmup"
  | "ctgan.sample"
  | "tvae.sample"
  | "gaussian_copula.sample"
  | "gaussian_copula.fit"
  | "ctgan.memoryMb"
  | "tvae.memoryMb"
  | "gaussian_copula.memoryMb";

export interface Point {
  term: Term;
  /** Where it was measured: file, dataset, model, resizing. */
  label: string;
  features: number[];
  measured: number;
  /** Warm-up (first epoch minus a steady one) can be near zero or negative: absolute error there. */
  absolute?: boolean;
}

/** A whole fit as measured, to check the assembled estimate (transformer + epochs + warm-up) against. */
export interface FitRun {
  label: string;
  model: EstimateModel;
  rows: number;
  numerical: number;
  categorical: number;
  categoriesTotal: number;
  width: number | null;
  conditionalWidth: number | null;
  epochs: number | null;
  batchSize: number | null;
  sampleRows: number;
  fitSeconds: number;
  sampleSeconds: number;
  peakRssMb: number;
  /** Fits before 86779fc ran at batch 500 whatever the rows; the estimate's layout must be told so. */
  oldBatchRule: boolean;
  /** False when the machine was too busy for its times to count (MAX_LOAD_FOR_TIMES). */
  timesValid: boolean;
}

interface EstimateRow {
  dataset: string;
  model: EstimateModel;
  rows_factor: number;
  rows_fit: number;
  numerical: number;
  categorical: number;
  categories_total: number;
  width: number | null;
  cond_width: number | null;
  modes_per_numerical: number[];
  batch_size: number | null;
  epochs: number | null;
  rows_sampled: number;
  transformer_s: number;
  epoch_s: number[];
  cpu_epoch_s?: number[];
  s_per_epoch_median: number | null;
  cpu_s_per_epoch_median?: number | null;
  fit_s: number;
  fit_cpu_s?: number;
  sample_s: number;
  sample_cpu_s?: number;
  peak_rss_mb: number;
  load_average_1m: number;
}

interface SynthRow {
  dataset: string;
  model: EstimateModel;
  epochs: number | null;
  rows_fit: number;
  rows_sampled: number;
  transformer_s: number;
  s_per_epoch_median: number | null;
  fit_s: number;
  sample_s: number;
  peak_rss_mb: number;
}

interface NnRow {
  dataset: string;
  model: Neural;
  variant: string;
  rows_fit: number;
  width: number;
  cpu_s_per_epoch_median: number;
}

const read = <T>(name: string): { date: string; result: T } =>
  JSON.parse(readFileSync(new URL(name, RESULTS), "utf8")) as { date: string; result: T };

/**
 * One record per case measured in several passes: the least time of the passes the machine was not too
 * busy for (load only ever adds time; the usual way to time on a shared machine) and the largest peak RSS
 * (an estimate that promises less memory than a fit took is the worse error).
 */
function mergePasses(rows: { file: string; r: EstimateRow }[]): { file: string; r: EstimateRow }[] {
  const groups = new Map<string, { file: string; r: EstimateRow }[]>();
  for (const row of rows) {
    const r = row.r;
    const key = [r.dataset, r.model, r.rows_factor, r.batch_size, r.rows_sampled].join("|");
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((group) => {
    const valid = group.filter(({ r }) => r.load_average_1m <= MAX_LOAD_FOR_TIMES).map(({ r }) => r);
    const peak = Math.max(...group.map(({ r }) => r.peak_rss_mb));
    const file = group.map((g) => g.file).join("+");
    if (valid.length === 0) return { file, r: { ...group[0].r, peak_rss_mb: peak } };
    const least = (f: (r: EstimateRow) => number): number => Math.min(...valid.map(f));
    const neural = valid[0].model !== "gaussian_copula";
    const steady = neural ? least((r) => r.cpu_s_per_epoch_median ?? (r.s_per_epoch_median as number)) : null;
    const first = least((r) => (r.cpu_epoch_s ?? r.epoch_s)[0]);
    return {
      file,
      r: {
        ...valid[0],
        epoch_s: [first],
        cpu_epoch_s: [first],
        s_per_epoch_median: steady,
        cpu_s_per_epoch_median: steady,
        transformer_s: least((r) => r.transformer_s),
        fit_s: least((r) => r.fit_cpu_s ?? r.fit_s),
        fit_cpu_s: least((r) => r.fit_cpu_s ?? r.fit_s),
        sample_s: least((r) => r.sample_cpu_s ?? r.sample_s),
        sample_cpu_s: least((r) => r.sample_cpu_s ?? r.sample_s),
        peak_rss_mb: peak,
        load_average_1m: least((r) => r.load_average_1m),
      },
    };
  });
}

export function loadMeasurements(): {
  points: Point[];
  runs: FitRun[];
  layout: { modesPerNumerical: number; categoriesPerCategorical: number };
  sources: Record<string, string>;
} {
  // Both passes of the main cases (the first before the worker recorded CPU seconds), merged, and the
  // `--group sample` cases (sampled rows apart from training rows).
  const estFiles = ESTIMATE_FILES.filter((f) => existsSync(new URL(f, RESULTS))).map((f) => ({
    file: f,
    json: read<{ rows: EstimateRow[] }>(f),
  }));
  const estRows = mergePasses(
    estFiles.flatMap(({ file, json }) => json.result.rows.map((r) => ({ file, r }))),
  );
  const synth = read<{ rows: SynthRow[] }>("synth.json");
  const nn = read<{ results: NnRow[] }>("nn.json");
  const quiet = read<{ results: NnRow[] }>("nn-quiet-defaults.json");
  const points: Point[] = [];
  const runs: FitRun[] = [];
  // The shape of each dataset as the transformer saw it (full training split, default batch).
  const shape = new Map<string, EstimateRow>();
  for (const { r } of estRows) {
    if (r.rows_factor === 1 && r.width !== null && !shape.has(r.dataset)) shape.set(r.dataset, r);
  }
  const pushNeural = (
    label: string,
    model: Neural,
    rows: number,
    batch: number,
    width: number,
    cond: number,
    sPerEpoch: number,
  ) => {
    const layout = layoutForBatch(model, rows, batch);
    points.push({
      term: `${model}.epoch`,
      label,
      features: epochFeatures(model, layout, width, cond),
      measured: sPerEpoch,
    });
  };

  for (const { file, r } of estRows) {
    const label =
      `${file} ${r.dataset} x${r.rows_factor}${r.batch_size ? ` batch ${r.batch_size}` : ""} ` +
      `sample ${r.rows_sampled} ${r.model} (least load ${r.load_average_1m})`;
    const columns = r.numerical + r.categorical;
    const cpu = r.cpu_epoch_s ?? r.epoch_s;
    const timesValid = r.load_average_1m <= MAX_LOAD_FOR_TIMES;
    if (!timesValid) {
      // Memory only.
    } else if (r.model !== "gaussian_copula") {
      const width = r.width as number;
      const cond = r.cond_width as number;
      const steady = r.cpu_s_per_epoch_median ?? (r.s_per_epoch_median as number);
      pushNeural(label, r.model, r.rows_fit, r.batch_size as number, width, cond, steady);
      points.push({
        term: `${r.model}.warmup`,
        label,
        features: warmupFeatures(steady),
        measured: cpu[0] - steady,
        absolute: true,
      });
      points.push({
        term: "transformer",
        label,
        features: transformerFeatures(r.rows_fit, r.numerical, r.categorical),
        measured: r.transformer_s,
      });
      points.push({
        term: `${r.model}.sample`,
        label,
        features: sampleFeatures(r.model, r.rows_sampled, width, columns),
        measured: r.sample_cpu_s ?? r.sample_s,
      });
    } else {
      points.push({
        term: "gaussian_copula.fit",
        label,
        features: copulaFitFeatures(r.rows_fit, columns),
        measured: r.fit_cpu_s ?? r.fit_s,
      });
      points.push({
        term: "gaussian_copula.sample",
        label,
        features: sampleFeatures(r.model, r.rows_sampled, 0, columns),
        measured: r.sample_cpu_s ?? r.sample_s,
      });
    }
    points.push({
      term: `${r.model}.memoryMb`,
      label,
      features: memoryFeatures(r.model, r.rows_fit, columns, r.width ?? 0, r.rows_sampled),
      measured: r.peak_rss_mb,
    });
    runs.push({
      label,
      model: r.model,
      rows: r.rows_fit,
      numerical: r.numerical,
      categorical: r.categorical,
      categoriesTotal: r.categories_total,
      width: r.width,
      conditionalWidth: r.cond_width,
      epochs: r.epochs,
      batchSize: r.batch_size,
      sampleRows: r.rows_sampled,
      fitSeconds: r.fit_cpu_s ?? r.fit_s,
      sampleSeconds: r.sample_cpu_s ?? r.sample_s,
      peakRssMb: r.peak_rss_mb,
      oldBatchRule: false,
      timesValid,
    });
  }

  for (const r of synth.result.rows) {
    const s = shape.get(r.dataset);
    if (!s) continue;
    const label = `synth.json ${r.dataset} ${r.model}`;
    const columns = s.numerical + s.categorical;
    const width = s.width as number;
    const cond = s.cond_width as number;
    if (r.model !== "gaussian_copula") {
      pushNeural(label, r.model, r.rows_fit, OLD_BATCH, width, cond, r.s_per_epoch_median as number);
      points.push({
        term: `${r.model}.sample`,
        label,
        features: sampleFeatures(r.model, r.rows_sampled, width, columns),
        measured: r.sample_s,
      });
    } else {
      points.push({
        term: "gaussian_copula.fit",
        label,
        features: copulaFitFeatures(r.rows_fit, columns),
        measured: r.fit_s,
      });
      points.push({
        term: "gaussian_copula.sample",
        label,
        features: sampleFeatures(r.model, r.rows_sampled, 0, columns),
        measured: r.sample_s,
      });
    }
    points.push({
      term: `${r.model}.memoryMb`,
      label,
      features: memoryFeatures(
        r.model,
        r.rows_fit,
        columns,
        r.model === "gaussian_copula" ? 0 : width,
        r.rows_sampled,
      ),
      measured: r.peak_rss_mb,
    });
    runs.push({
      label,
      model: r.model,
      rows: r.rows_fit,
      numerical: s.numerical,
      categorical: s.categorical,
      categoriesTotal: s.categories_total,
      width: r.model === "gaussian_copula" ? null : width,
      conditionalWidth: r.model === "gaussian_copula" ? null : cond,
      epochs: r.epochs,
      batchSize: r.model === "gaussian_copula" ? null : OLD_BATCH,
      sampleRows: r.rows_sampled,
      fitSeconds: r.fit_s,
      sampleSeconds: r.sample_s,
      peakRssMb: r.peak_rss_mb,
      oldBatchRule: true,
      timesValid: true,
    });
  }

  for (const [file, rows] of [
    ["nn.json", nn.result.results],
    ["nn-quiet-defaults.json", quiet.result.results],
  ] as const) {
    for (const r of rows) {
      const s = shape.get(r.dataset);
      if (r.variant !== "default" || !s) continue;
      pushNeural(
        `${file} ${r.dataset} ${r.model}`,
        r.model,
        r.rows_fit,
        OLD_BATCH,
        r.width,
        s.cond_width as number,
        r.cpu_s_per_epoch_median,
      );
    }
  }

  const full = [...shape.values()];
  const modes = full.flatMap((r) => r.modes_per_numerical);
  const layout = {
    modesPerNumerical: round4(modes.reduce((a, b) => a + b, 0) / modes.length),
    categoriesPerCategorical: round4(
      full.reduce((a, r) => a + r.categories_total, 0) / full.reduce((a, r) => a + r.categorical, 0),
    ),
  };
  return {
    points,
    runs,
    layout,
    sources: {
      ...Object.fromEntries(estFiles.map(({ file, json }) => [file, json.date])),
      "synth.json": synth.date,
      "nn.json": nn.date,
      "nn-quiet-defaults.json": quiet.date,
    },
  };
}

export const round4 = (v: number): number => (v === 0 ? 0 : Number(v.toPrecision(4)));

/** Least squares of (X b - y) / scale, b >= 0, exactly: every subset of the columns, the best feasible. */
export function nnls(rows: number[][], y: number[], scale: number[]): number[] {
  const p = rows[0].length;
  // Columns scaled to unit maximum: the terms range from 1 to 1e8.
  const norm = Array.from({ length: p }, (_, j) => Math.max(...rows.map((r) => Math.abs(r[j]))) || 1);
  let best: { b: number[]; sse: number } | undefined;
  for (let mask = 1; mask < 1 << p; mask++) {
    const cols = [...Array(p).keys()].filter((j) => mask & (1 << j));
    const a = rows.map((r, i) => cols.map((j) => r[j] / norm[j] / scale[i]));
    const t = y.map((v, i) => v / scale[i]);
    const bSub = solveNormal(a, t);
    if (!bSub || bSub.some((v) => v < 0)) continue;
    const b = new Array<number>(p).fill(0);
    cols.forEach((j, k) => (b[j] = bSub[k] / norm[j]));
    const sse = rows.reduce((s, r, i) => s + ((dot(b, r) - y[i]) / scale[i]) ** 2, 0);
    if (!best || sse < best.sse) best = { b, sse };
  }
  return best?.b ?? new Array<number>(p).fill(0);
}

const dot = (b: number[], x: number[]): number => b.reduce((s, v, i) => s + v * x[i], 0);

function solveNormal(a: number[][], t: number[]): number[] | undefined {
  const q = a[0].length;
  const m = Array.from({ length: q }, (_, i) => [
    ...Array.from({ length: q }, (_, j) => a.reduce((s, r) => s + r[i] * r[j], 0)),
    a.reduce((s, r, k) => s + r[i] * t[k], 0),
  ]);
  for (let c = 0; c < q; c++) {
    let piv = c;
    for (let r = c + 1; r < q; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    if (Math.abs(m[piv][c]) < 1e-12) return undefined;
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let r = 0; r < q; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= q; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row[q] / row[i]);
}

const fitTerm = (pts: Point[]): number[] =>
  nnls(
    pts.map((p) => p.features),
    pts.map((p) => p.measured),
    // Relative error, floored: a 0.02 s sample is timer noise on a shared machine, not a target.
    pts.map((p) => (p.absolute ? 1 : Math.max(p.measured, 0.05))),
  ).map(round4);

/** measured / estimated, or its inverse, whichever is at least 1: "within a factor of". */
export const factor = (measured: number, estimated: number): number =>
  estimated <= 0 || measured <= 0 ? Infinity : Math.max(measured / estimated, estimated / measured);

export function fitAll() {
  const m = loadMeasurements();
  const terms = [...new Set(m.points.map((p) => p.term))];
  const coefficients: Record<string, number[]> = {};
  const errors: Record<string, unknown> = {};
  const pointsOut: unknown[] = [];
  for (const term of terms) {
    const pts = m.points.filter((p) => p.term === term);
    const b = fitTerm(pts);
    coefficients[term] = b;
    const inSample = pts.map((p) => dot(b, p.features));
    const loo = pts.map((p, i) => dot(fitTerm(pts.filter((_, j) => j !== i)), p.features));
    const f = (est: number[]) =>
      pts.map((p, i) => (p.absolute ? Math.abs(est[i] - p.measured) : factor(p.measured, est[i])));
    const fin = f(inSample);
    const floo = f(loo);
    errors[term] = {
      points: pts.length,
      error: pts[0].absolute ? "absolute seconds" : "factor (max(measured/estimate, estimate/measured))",
      inSampleMedian: round4(median(fin)),
      inSampleMax: round4(Math.max(...fin)),
      leaveOneOutMedian: round4(median(floo)),
      leaveOneOutMax: round4(Math.max(...floo)),
    };
    pts.forEach((p, i) =>
      pointsOut.push({
        term,
        label: p.label,
        measured: p.measured,
        estimate: round4(inSample[i]),
        leaveOneOut: round4(loo[i]),
      }),
    );
  }
  const nested = {
    measured: new Date().toISOString().slice(0, 10),
    layout: m.layout,
    transformer: coefficients.transformer,
    ctgan: {
      epoch: coefficients["ctgan.epoch"],
      warmup: coefficients["ctgan.warmup"],
      sample: coefficients["ctgan.sample"],
      memoryMb: coefficients["ctgan.memoryMb"],
    },
    tvae: {
      epoch: coefficients["tvae.epoch"],
      warmup: coefficients["tvae.warmup"],
      sample: coefficients["tvae.sample"],
      memoryMb: coefficients["tvae.memoryMb"],
    },
    gaussian_copula: {
      fit: coefficients["gaussian_copula.fit"],
      sample: coefficients["gaussian_copula.sample"],
      memoryMb: coefficients["gaussian_copula.memoryMb"],
    },
  };
  return { sources: m.sources, coefficients: nested, errors, points: pointsOut };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = fitAll();
  writeFileSync(OUT, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(
    `${JSON.stringify({ coefficients: out.coefficients, errors: out.errors }, null, 2)}\n`,
  );
  process.stderr.write(`wrote ${fileURLToPath(OUT)}\n`);
}
