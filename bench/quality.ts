/**
 * `npm run bench -- quality [--epochs 10[,30,...]] [--datasets a,b] [--models gaussian_copula,ctgan,tvae]
 *   [--guard on,off] [--only baselines,timing,dcr,models] [--keep-models] [--skip-worst-case]`
 *
 * baselines: the real table scored against a shuffled copy, its other half, and uniform noise within its ranges.
 *
 * models: fits each model on each shared dataset with the protocol of /work/shared/reference/README.md
 *   (column types from the .meta.json; rows with a missing number dropped; a seeded 70/30 split, stratified on
 *   the target for classification; fit on the 70% with default hyperparameters and the given epochs; sample as
 *   many rows as the full dataset; quality against the 70%; ML efficacy tested on the 30%) and writes our scores
 *   beside the reference's (reference.json, same dataset / model / epochs). Each fitted model is sampled with
 *   the privacy guard on (the default: `ours`) and off (same seed), so `privacy_guard` shows, for every model
 *   on every dataset, the shares of synthetic rows copying a unique / any real row beside the real table's
 *   duplicate share, DCR baseline protection and quality, guard on and off, and the guard's quality cost.
 * timing: the full report (quality, diagnostics, privacy, ML efficacy, plots, HTML page) on CPS1988 (70% vs a perturbed copy
 *   of the full table, 28 155 rows), median of 3 runs; target under 5 s.
 * dcr: distance to closest record on 30 000 x 30 000 rows (correlated generated data, CPS1988, and the worst
 *   case of independent noise columns where nothing prunes).
 * --keep-models reuses the models section of the previous bench/results/quality.json (re-timing only).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { loadTable } from "../shared/data/load.ts";
import type { TableMetadata } from "../shared/data/metadata.ts";
import { rowCount, takeRows, type Cell, type Table } from "../shared/data/table.ts";
import { DcrIndex } from "../shared/metrics/dcr.ts";
import { evaluate } from "../shared/metrics/evaluate.ts";
import { renderHtmlReport } from "../shared/metrics/html/render.ts";
import { uniformRandomRows } from "../shared/metrics/privacy.ts";
import type { Report } from "../shared/metrics/report-schema.ts";
import { createRng, permutation, type Rng } from "../shared/random.ts";

const DATASETS_DIR = "/work/shared/datasets";
const REFERENCE = "/work/shared/reference/reference.json";
const SPLIT_SEED = 20240601;

interface DatasetMeta {
  rows: number;
  column_types: Record<string, "numerical" | "categorical" | "datetime" | "id">;
  target: string;
  task: "classification" | "regression";
}

interface ReferenceEntry {
  dataset: string;
  model: string;
  epochs: number;
  machine_load: string;
  rows_fit: number;
  rows_sampled: number;
  fit_s: number;
  sample_s: number;
  quality_sdmetrics_0_29: {
    overall: number;
    column_shapes: number;
    column_pair_trends: number;
    pairs_scored: number;
    pairs_total: number;
  };
  quality_all_pairs: { overall: number; column_shapes: number; column_pair_trends: number };
  ml_efficacy: {
    metric: string;
    target: string;
    synthetic_gradient_boosting: number;
    real_gradient_boosting: number;
  };
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

export interface PreparedDataset {
  name: string;
  meta: DatasetMeta;
  metadata: TableMetadata;
  full: Table;
  fullRows: number;
  train: Table;
  test: Table;
}

const isMissing = (c: Cell): boolean => c === null || (typeof c === "number" && Number.isNaN(c));

/** sklearn's train_test_split sizes: test = ceil(0.3 n), train = the rest; stratified by class when asked. */
function split(n: number, labels: Cell[] | null, rng: Rng): { train: number[]; test: number[] } {
  const nTest = Math.ceil(0.3 * n);
  if (!labels) {
    const perm = permutation(n, rng);
    return { train: Array.from(perm.subarray(nTest)), test: Array.from(perm.subarray(0, nTest)) };
  }
  const byClass = new Map<string, number[]>();
  labels.forEach((l, i) => {
    const k = String(l);
    if (!byClass.has(k)) byClass.set(k, []);
    byClass.get(k)!.push(i);
  });
  const classes = [...byClass.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // Proportional allocation, remainders to the largest fractional parts (as StratifiedShuffleSplit does).
  const exact = classes.map(([, idx]) => (idx.length * nTest) / n);
  const alloc = exact.map(Math.floor);
  let left = nTest - alloc.reduce((a, b) => a + b, 0);
  const order = exact.map((e, k) => [e - Math.floor(e), k] as const).sort((a, b) => b[0] - a[0]);
  for (const [, k] of order) {
    if (left <= 0) break;
    alloc[k]++;
    left--;
  }
  const train: number[] = [];
  const test: number[] = [];
  classes.forEach(([, idx], k) => {
    const perm = permutation(idx.length, rng);
    perm.forEach((p, j) => (j < alloc[k] ? test : train).push(idx[p]));
  });
  return { train, test };
}

export async function prepareDataset(name: string): Promise<PreparedDataset> {
  const meta = JSON.parse(readFileSync(`${DATASETS_DIR}/${name}.meta.json`, "utf8")) as DatasetMeta;
  const metadata: TableMetadata = {
    columns: Object.entries(meta.column_types).map(([column, sdtype]) => ({ name: column, sdtype })),
  };
  const path = `${DATASETS_DIR}/${name}.csv`;
  const { table } = await loadTable(new Uint8Array(readFileSync(path)), {
    fileName: basename(path),
    metadata,
  });
  const numeric = metadata.columns
    .filter((c) => c.sdtype === "numerical")
    .map((c) => table.columns.indexOf(c.name));
  const keep: number[] = [];
  for (let i = 0; i < rowCount(table); i++)
    if (numeric.every((j) => !isMissing(table.data[j][i]))) keep.push(i);
  const complete = takeRows(table, keep);
  const labels = meta.task === "classification" ? complete.data[complete.columns.indexOf(meta.target)] : null;
  const { train, test } = split(keep.length, labels, createRng(SPLIT_SEED));
  return {
    name,
    meta,
    metadata,
    full: complete,
    fullRows: rowCount(table),
    train: takeRows(complete, train),
    test: takeRows(complete, test),
  };
}

function ourScores(report: Report) {
  const q = report.quality;
  return {
    quality_sdmetrics_0_29: {
      overall: q.relatedPairs.overall,
      column_shapes: q.relatedPairs.columnShapes,
      column_pair_trends: q.relatedPairs.columnPairTrends,
      pairs_scored: q.relatedPairs.pairsScored,
      pairs_total: q.relatedPairs.pairsTotal,
    },
    quality_all_pairs: {
      overall: q.allPairs.overall,
      column_shapes: q.allPairs.columnShapes,
      column_pair_trends: q.allPairs.columnPairTrends,
    },
    ml_efficacy: report.mlEfficacy && {
      metric: report.mlEfficacy.metric,
      target: report.mlEfficacy.target,
      synthetic_gradient_boosting: report.mlEfficacy.synthetic,
      real_gradient_boosting: report.mlEfficacy.real,
    },
    diagnostics: { validity: report.diagnostics.dataValidity, structure: report.diagnostics.dataStructure },
    privacy: report.privacy && {
      dcr_median: report.privacy.dcr.median,
      copy_share: report.privacy.copyShare,
      baseline_protection: report.privacy.baselineProtection.score,
      overfitting_protection: report.privacy.overfittingProtection?.score ?? null,
      unique_copy_share: report.privacy.exactCopies?.uniqueRealRowShare ?? null,
      any_copy_share: report.privacy.exactCopies?.anyRealRowShare ?? null,
      real_duplicate_share: report.privacy.exactCopies?.realDuplicateShare ?? null,
      guard: report.privacy.guard ?? null,
    },
  };
}

const round = (v: number | null | undefined, d = 4): number | null =>
  v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 10 ** d) / 10 ** d;

async function runModels(args: string[]) {
  const epochList = (arg(args, "epochs") ?? "10").split(",").map(Number);
  const datasets = (arg(args, "datasets") ?? "CPS1988,credit_data,wa_churn,penguins,attrition").split(",");
  const models = (arg(args, "models") ?? "gaussian_copula,ctgan,tvae").split(",");
  const guards = (arg(args, "guard") ?? "on,off").split(",");
  const reference = JSON.parse(readFileSync(REFERENCE, "utf8")) as ReferenceEntry[];
  const { Synthesizer } = await import("../shared/synth/synthesizer.ts");
  const { initNodeBackend } = await import("../cli/tf-backend.ts");
  const backend = await initNodeBackend({ backend: "wasm" });
  const runs: unknown[] = [];
  const guardSummary: unknown[] = [];
  for (const name of datasets) {
    const data = await prepareDataset(name);
    const jobs = models.flatMap((model) =>
      model === "gaussian_copula" ? [{ model, epochs: 0 }] : epochList.map((epochs) => ({ model, epochs })),
    );
    for (const { model, epochs } of jobs) {
      const t0 = performance.now();
      const modelConfig = model === "gaussian_copula" ? {} : { epochs };
      process.stderr.write(`[quality] ${name} ${model} fitting on ${rowCount(data.train)} rows...\n`);
      const synth = await Synthesizer.fit(data.train, data.metadata, {
        model: model as "ctgan",
        modelConfig,
        seed: 1,
      });
      const t1 = performance.now();
      // The same fitted model and sampling seed, guard on (the default) and off: the difference is the guard.
      const sampled = new Map<string, { report: Report; rows: number; sampleS: number; evaluateS: number }>();
      for (const g of guards) {
        const s0 = performance.now();
        const { table, privacy } = await synth.sampleWithReport(data.fullRows, {
          seed: 2,
          privacy: { guard: g === "on" },
        });
        const s1 = performance.now();
        const report = evaluate(data.train, table, data.metadata, {
          target: data.meta.target,
          holdout: data.test,
          seed: 3,
          privacyGuard: privacy,
        });
        sampled.set(g, {
          report,
          rows: rowCount(table),
          sampleS: (s1 - s0) / 1000,
          evaluateS: (performance.now() - s1) / 1000,
        });
      }
      const main = sampled.get(guards[0])!;
      const ours = ourScores(main.report);
      const byGuard = Object.fromEntries(
        [...sampled].map(([g, s]) => [
          g,
          {
            rows_sampled: s.rows,
            sample_s: round(s.sampleS, 2),
            unique_copy_share: round(s.report.privacy?.exactCopies?.uniqueRealRowShare, 6),
            any_copy_share: round(s.report.privacy?.exactCopies?.anyRealRowShare, 6),
            real_duplicate_share: round(s.report.privacy?.exactCopies?.realDuplicateShare, 6),
            baseline_protection: round(s.report.privacy?.baselineProtection.score),
            quality_all_pairs: round(s.report.quality.allPairs.overall),
            quality_sdmetrics_0_29: round(s.report.quality.relatedPairs.overall),
            ml_synthetic: round(s.report.mlEfficacy?.synthetic),
            guard: s.report.privacy?.guard ?? null,
          },
        ]),
      ) as Record<string, { quality_all_pairs: number | null; baseline_protection: number | null }>;
      const guardCost =
        byGuard.on && byGuard.off
          ? {
              quality_all_pairs_on_minus_off: round(
                (byGuard.on.quality_all_pairs ?? NaN) - (byGuard.off.quality_all_pairs ?? NaN),
              ),
              baseline_protection_on_minus_off: round(
                (byGuard.on.baseline_protection ?? NaN) - (byGuard.off.baseline_protection ?? NaN),
              ),
            }
          : null;
      guardSummary.push({
        dataset: name,
        model,
        epochs: model === "gaussian_copula" ? null : epochs,
        ...byGuard,
        cost: guardCost,
      });
      const ref =
        model === "gaussian_copula"
          ? undefined
          : reference.find((r) => r.dataset === name && r.model === model && r.epochs === epochs);
      const run = {
        dataset: name,
        model,
        epochs: model === "gaussian_copula" ? null : epochs,
        rows_fit: rowCount(data.train),
        rows_sampled: main.rows,
        rows_test: rowCount(data.test),
        fit_s: round((t1 - t0) / 1000, 2),
        sample_s: round(main.sampleS, 2),
        evaluate_s: round(main.evaluateS, 2),
        ours,
        privacy_guard: { ...byGuard, cost: guardCost },
        reference: ref
          ? {
              machine_load: ref.machine_load,
              rows_fit: ref.rows_fit,
              fit_s: ref.fit_s,
              quality_sdmetrics_0_29: ref.quality_sdmetrics_0_29,
              quality_all_pairs: ref.quality_all_pairs,
              ml_efficacy: ref.ml_efficacy,
            }
          : null,
        ours_minus_reference: ref
          ? {
              overall_all_pairs: round(
                (ours.quality_all_pairs.overall ?? NaN) - ref.quality_all_pairs.overall,
              ),
              overall_sdmetrics_0_29: round(
                (ours.quality_sdmetrics_0_29.overall ?? NaN) - ref.quality_sdmetrics_0_29.overall,
              ),
              ml_synthetic: round(
                (ours.ml_efficacy?.synthetic_gradient_boosting ?? NaN) -
                  ref.ml_efficacy.synthetic_gradient_boosting,
              ),
              ml_real: round(
                (ours.ml_efficacy?.real_gradient_boosting ?? NaN) - ref.ml_efficacy.real_gradient_boosting,
              ),
            }
          : null,
        no_lower_than_reference: ref
          ? (ours.quality_all_pairs.overall ?? 0) >= ref.quality_all_pairs.overall
          : null,
      };
      process.stderr.write(`[quality] ${JSON.stringify(run)}\n`);
      runs.push(run);
      synth.dispose?.();
    }
  }
  return { epochs: epochList, backend, guard: guards, runs, privacy_guard: guardSummary };
}

/** A copy of the table with every number moved by up to +-5% and 5% of categories swapped for another row's. */
function perturbed(table: Table, metadata: TableMetadata, rng: Rng): Table {
  const n = rowCount(table);
  return {
    columns: [...table.columns],
    data: table.data.map((col, j) => {
      const sdtype = metadata.columns.find((c) => c.name === table.columns[j])?.sdtype;
      return col.map((cell): Cell => {
        if (sdtype === "numerical" && typeof cell === "number") return cell * (1 + (rng.next() - 0.5) * 0.1);
        if (sdtype === "categorical" && rng.next() < 0.05) return col[rng.int(n)];
        return cell;
      });
    }),
  };
}

async function runTiming() {
  const data = await prepareDataset("CPS1988");
  const rng = createRng(7);
  const synthetic = perturbed(takeRows(data.full, permutation(rowCount(data.full), rng)), data.metadata, rng);
  const runs: { total_ms: number; parts_ms: Record<string, number>; html_bytes: number }[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const report = evaluate(data.train, synthetic, data.metadata, {
      target: data.meta.target,
      holdout: data.test,
      seed: r,
      now: () => performance.now(),
    });
    const t1 = performance.now();
    const html = renderHtmlReport(report);
    const t2 = performance.now();
    runs.push({
      total_ms: Math.round(t2 - t0),
      parts_ms: { ...report.timingsMs, html: t2 - t1 },
      html_bytes: html.length,
    });
  }
  const sorted = runs.map((r) => r.total_ms).sort((a, b) => a - b);
  return {
    dataset: "CPS1988",
    real_rows: rowCount(data.train),
    synthetic_rows: rowCount(synthetic),
    holdout_rows: rowCount(data.test),
    synthetic: "the full table shuffled, numbers moved by up to +-5%, 5% of categories resampled",
    runs,
    median_ms: sorted[1],
    under_5s: sorted[1] < 5000,
  };
}

function dcrTable(rows: number, rng: Rng): Table {
  const cats = ["a", "b", "c", "d", "e", "f"];
  const data: Cell[][] = Array.from({ length: 10 }, () => new Array<Cell>(rows));
  for (let i = 0; i < rows; i++) {
    const base = rng.normal();
    for (let k = 0; k < 5; k++)
      data[k][i] = Math.exp(base * 0.5 + rng.normal() * (0.3 + k * 0.2)) * (k + 1) * 100;
    for (let k = 5; k < 10; k++)
      data[k][i] = cats[Math.min(cats.length - 1, Math.floor(rng.next() ** (k - 3) * cats.length))];
  }
  return { columns: Array.from({ length: 10 }, (_, k) => `c${k}`), data };
}

/** Independent noise columns: nothing prunes, the search degrades to exhaustive comparison. */
function noiseTable(rows: number, numeric: number, categorical: number, rng: Rng): Table {
  const data: Cell[][] = [];
  for (let k = 0; k < numeric; k++) data.push(Array.from({ length: rows }, () => rng.normal()));
  for (let k = 0; k < categorical; k++) data.push(Array.from({ length: rows }, () => `l${rng.int(4)}`));
  return { columns: data.map((_, k) => `c${k}`), data };
}

function worstCase(rows: number, numeric: number, categorical: number) {
  const metadata: TableMetadata = {
    columns: Array.from({ length: numeric + categorical }, (_, k) => ({
      name: `c${k}`,
      sdtype: k < numeric ? ("numerical" as const) : ("categorical" as const),
    })),
  };
  const rng = createRng(13);
  const real = noiseTable(rows, numeric, categorical, rng);
  const synthetic = noiseTable(rows, numeric, categorical, rng);
  const t0 = performance.now();
  new DcrIndex(real, metadata).distances(synthetic);
  return {
    rows: `${rows} x ${rows}`,
    columns: `${numeric} independent normal + ${categorical} independent uniform 4-level categorical`,
    ms: Math.round(performance.now() - t0),
  };
}

async function runDcr(args: string[]) {
  const rows = 30_000;
  const metadata: TableMetadata = {
    columns: Array.from({ length: 10 }, (_, k) => ({
      name: `c${k}`,
      sdtype: k < 5 ? ("numerical" as const) : ("categorical" as const),
    })),
  };
  const rng = createRng(11);
  const real = dcrTable(rows, rng);
  const synthetic = dcrTable(rows, rng);
  const t0 = performance.now();
  const index = new DcrIndex(real, metadata);
  const t1 = performance.now();
  const dcr = index.distances(synthetic);
  const t2 = performance.now();
  const copies = index.copies(synthetic);
  const t3 = performance.now();
  // The same on the real CPS1988 data: the 70% split against the full table perturbed.
  const cps = await prepareDataset("CPS1988");
  const cpsSynthetic = perturbed(cps.full, cps.metadata, createRng(12));
  const t4 = performance.now();
  const cpsDcr = new DcrIndex(cps.train, cps.metadata).distances(cpsSynthetic);
  const t5 = performance.now();
  let copied = 0;
  for (const c of copies) copied += c;
  return {
    generated: {
      rows: `${rows} x ${rows}`,
      columns: "5 numerical (log-normal, correlated) + 5 categorical (6 skewed levels)",
      index_ms: Math.round(t1 - t0),
      distances_ms: Math.round(t2 - t1),
      copies_ms: Math.round(t3 - t2),
      median_dcr: round(Float64Array.from(dcr).sort()[rows >> 1], 5),
      copy_share: copied / rows,
    },
    cps1988: {
      rows: `${rowCount(cpsSynthetic)} synthetic x ${rowCount(cps.train)} real`,
      columns: "3 numerical + 4 categorical",
      index_and_distances_ms: Math.round(t5 - t4),
      median_dcr: round(Float64Array.from(cpsDcr).sort()[cpsDcr.length >> 1], 5),
    },
    worst_case: args.includes("--skip-worst-case") ? null : [worstCase(rows, 10, 0), worstCase(rows, 0, 20)],
  };
}

/** What the score says about obvious cases: the real table against a shuffled copy and against noise. */
async function runBaselines() {
  const out: Record<string, unknown> = {};
  for (const name of ["CPS1988", "credit_data", "wa_churn", "penguins"]) {
    const { full, metadata } = await prepareDataset(name);
    const n = rowCount(full);
    const q = (t: Table) => {
      const r = evaluate(full, t, metadata, { privacy: false, mlEfficacy: false });
      return {
        all_pairs: round(r.quality.allPairs.overall),
        sdmetrics_0_29: round(r.quality.relatedPairs.overall),
      };
    };
    const perm = permutation(n, createRng(1));
    const half = n >> 1;
    out[name] = {
      shuffled_copy: q(takeRows(full, perm)),
      other_half: (() => {
        const a = takeRows(full, perm.subarray(0, half));
        const b = takeRows(full, perm.subarray(half));
        const r = evaluate(a, b, metadata, { privacy: false, mlEfficacy: false });
        return {
          all_pairs: round(r.quality.allPairs.overall),
          sdmetrics_0_29: round(r.quality.relatedPairs.overall),
        };
      })(),
      uniform_within_real_ranges: q(uniformRandomRows(full, metadata, n, createRng(2))),
    };
  }
  return out;
}

export async function run(args: string[]): Promise<unknown> {
  const only = (arg(args, "only") ?? "baselines,timing,dcr,models").split(",");
  const out: Record<string, unknown> = {
    protocol:
      "shared/reference/README.md: rows with a missing number dropped; 70/30 split (stratified on the target for classification, seed " +
      `${SPLIT_SEED}); fit on 70% with default hyperparameters; sample as many rows as the full dataset; quality against the 70%; ` +
      "ML efficacy (gradient boosting, 100 stages, depth 3) trained on synthetic vs real 70%, tested on the 30%.",
  };
  if (only.includes("baselines")) out.baselines = await runBaselines();
  if (only.includes("timing")) out.timing = await runTiming();
  if (only.includes("dcr")) out.dcr = await runDcr(args);
  if (only.includes("models")) out.models = await runModels(args);
  else if (args.includes("--keep-models")) {
    // Model fits take minutes: keep the models section of the previous results when only re-timing.
    const previous = JSON.parse(readFileSync(new URL("./results/quality.json", import.meta.url), "utf8")) as {
      date: string;
      result: { models?: unknown };
    };
    out.models = previous.result.models ?? null;
    out.models_from_run_of = previous.date;
  }
  return out;
}
