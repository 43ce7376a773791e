import { createHash } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { z } from "zod";
import { isSynthError, synthError } from "../../shared/errors.ts";
import { createRng, permutation } from "../../shared/random.ts";
import { rowCount, takeRows, type Table } from "../../shared/data/table.ts";
import type { TableMetadata } from "../../shared/data/metadata.ts";
import { DcrIndex } from "../../shared/metrics/dcr.ts";
import { privacy } from "../../shared/metrics/privacy.ts";
import { qualityReport } from "../../shared/metrics/quality.ts";
import { mlEfficacy } from "../../shared/metrics/ml/ml-efficacy.ts";
import { modelKindSchema, type ModelKind } from "../../shared/synth/models.ts";
import { Synthesizer } from "../../shared/synth/synthesizer.ts";
import { METHODS, createOptimizer, fromTrials, type TrialInput } from "../../shared/tuning/optimizer.ts";
import {
  defaultSpaceInput,
  modelConstraints,
  parseSpace,
  toModelOptions,
  type Params,
} from "../../shared/tuning/space.ts";
import { evaluateObjective } from "../../shared/tuning/objective.ts";
import { paretoFront } from "../../shared/tuning/pareto.ts";
import { abortOnSigint, parseFlags, prepareBackend, readTableFile, splitModelOptions } from "../synth-io.ts";
import { readDataFile, dataLimitsFromEnv } from "../data-file.ts";

/**
 * `synth optimize`: a hyperparameter study on one table. Each trial fits on a seeded 80% training split,
 * samples as many rows as the 20% holdout and scores the sample on the holdout (shared/tuning decides the
 * score and feasibility, the optimiser proposes). No pruning: Synthesizer.fit's epoch callback reports
 * losses only, so an intermediate quality would need the half-trained model, which it does not expose;
 * every trial records `pruned: false`.
 */
const HOLDOUT_SHARE = 0.2;

const duration = z
  .string()
  .regex(/^\d+(\.\d+)?(s|m|h)?$/, "--time-budget is a duration such as 90s, 30m or 1h")
  .transform((v) => {
    const n = Number.parseFloat(v);
    const unit = v.at(-1);
    return n * (unit === "h" ? 3600 : unit === "m" ? 60 : 1);
  });

const optimizeFlagsSchema = z.object({
  model: modelKindSchema,
  method: z.enum(METHODS, { message: `--method is one of ${METHODS.join(", ")}` }),
  trials: z
    .string()
    .regex(/^\d+$/, "--trials must be a positive integer")
    .transform(Number)
    .refine((n) => n > 0, "--trials must be a positive integer"),
  timeBudget: duration.optional(),
  space: z.string().optional(),
  objective: z.enum(["quality", "ml", "mix"]).default("quality"),
  privacyFloor: z.coerce.number().min(0).max(1).optional(),
  target: z.string().optional(),
  seed: z.string().regex(/^\d+$/, "--seed must be a non-negative integer").transform(Number).default(0),
  metadata: z.string().optional(),
  backend: z.enum(["wasm", "cpu"]).default("wasm"),
  out: z.string().min(1),
});
type OptimizeFlags = z.output<typeof optimizeFlagsSchema>;

const levelSchema = z.union([z.string(), z.number(), z.boolean()]);
const trialRecordSchema = z
  .object({
    params: z.record(z.string(), levelSchema),
    score: z.number().nullable(),
    value: z.number(),
    feasible: z.boolean(),
    pruned: z.boolean(),
    proposal: z.object({ by: z.string() }).loose().optional(),
  })
  .loose();
type TrialRecord = z.output<typeof trialRecordSchema>;

/** What makes two runs the same study (resume continues only then). */
const studySchema = z.object({
  data_sha256: z.string(),
  model: modelKindSchema,
  method: z.enum(METHODS),
  seed: z.number(),
  objective: z.string(),
  privacy_floor: z.number().nullable(),
  target: z.string().nullable(),
  space: z.unknown(),
});
type Study = z.output<typeof studySchema>;

const bestFileSchema = z.object({ study: studySchema.loose(), trials: z.array(trialRecordSchema) }).loose();

export function register(program: Command): void {
  program
    .command("optimize")
    .description(
      "search a synthesizer's hyperparameters (grid, random or Bayesian) for holdout quality or ML efficacy under a privacy floor",
    )
    .argument("<data>", "table to learn (.csv, .json, .jsonl, .xlsx, .parquet)")
    .requiredOption("--model <model>", "ctgan | tvae | gaussian_copula")
    .requiredOption("--method <method>", "grid | random | bayesian")
    .requiredOption("--trials <n>", "trials in the study (a resumed study counts those already run)")
    .option("--time-budget <duration>", "start no new trial after this long: 90s, 30m, 1h")
    .option("--space <file|json>", "search space JSON (short form or typed); default: the model's")
    .option("--objective <kind>", "quality | ml | mix (ml and mix need --target)", "quality")
    .option("--privacy-floor <p>", "minimum DCR baseline protection (0..1); below it a trial is infeasible")
    .option("--target <column>", "column to predict for ML efficacy")
    .option("--seed <n>", "seed of the split, the models and the search", "0")
    .option("--metadata <file>", "column metadata JSON (SDV single-table format or synth's own)")
    .option("--backend <backend>", "tfjs backend: wasm | cpu", "wasm")
    .requiredOption("--out <file>", "best.json: best trial, every trial in order, the Pareto front")
    .action(async (data: string, raw: unknown) => {
      await optimize(data, parseFlags(optimizeFlagsSchema, raw));
    });
}

async function readSpace(arg: string | undefined, model: ModelKind): Promise<unknown> {
  if (arg === undefined) return defaultSpaceInput(model);
  const text = arg.trimStart().startsWith("{") ? arg : await readFile(arg, "utf8").catch(() => null);
  if (text === null)
    throw synthError("VALIDATION_ERROR", `--space ${arg} is neither JSON nor a readable file`);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw synthError("VALIDATION_ERROR", "--space is not valid JSON", {}, cause);
  }
}

/** A seeded split: the first 80% of a permutation trains, the rest is the holdout. */
function split(table: Table, seed: number): { train: Table; holdout: Table } {
  const n = rowCount(table);
  const order = permutation(n, createRng(seed));
  const cut = Math.round(n * (1 - HOLDOUT_SHARE));
  if (cut < 2 || n - cut < 2)
    throw synthError(
      "VALIDATION_ERROR",
      `the table has too few rows (${n}) for a training and a holdout split`,
    );
  return { train: takeRows(table, order.subarray(0, cut)), holdout: takeRows(table, order.subarray(cut)) };
}

async function readPrevious(out: string, study: Study): Promise<TrialRecord[]> {
  let text: string;
  try {
    text = await readFile(out, "utf8");
  } catch {
    return [];
  }
  const parsed = bestFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw synthError("CONFLICT", `${out} exists and is not a synth optimize result`, { out });
  const same = JSON.stringify(studySchema.parse(parsed.data.study)) === JSON.stringify(study);
  if (!same)
    throw synthError(
      "CONFLICT",
      `${out} holds another study (data, model, method, seed, objective or space differ)`,
      {
        out,
        theirs: parsed.data.study,
        ours: study,
      },
    );
  return parsed.data.trials;
}

async function writeAtomically(path: string, json: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(json, null, 2)}\n`);
  await rename(tmp, path);
}

const f3 = (v: number | null | undefined): string => (v === null || v === undefined ? "n/a" : v.toFixed(3));

function tableRow(i: number, t: TrialRecord): string {
  const p = t.privacy as { dcr_baseline_protection: number | null } | null | undefined;
  return [
    String(i + 1).padStart(3),
    f3(t.score).padStart(6),
    f3(t.fit_s as number).padStart(7),
    f3(p?.dcr_baseline_protection).padStart(7),
    String(t.feasible).padEnd(8),
    String(t.pruned).padEnd(6),
    JSON.stringify(t.params),
  ].join("  ");
}

async function optimize(data: string, flags: OptimizeFlags): Promise<void> {
  if (flags.objective !== "quality" && flags.target === undefined)
    throw synthError("VALIDATION_ERROR", `--objective ${flags.objective} needs --target (ML efficacy)`);
  const spaceInput = await readSpace(flags.space, flags.model);
  const { table, metadata } = await readTableFile(data, flags.metadata);
  if (flags.target !== undefined && !table.columns.includes(flags.target))
    throw synthError("UNKNOWN_COLUMN", `--target ${flags.target} is not a column`, { column: flags.target });
  const { train, holdout } = split(table, flags.seed);
  const space = parseSpace(spaceInput, modelConstraints(flags.model, rowCount(train)));
  const bytes = await readDataFile(data, dataLimitsFromEnv());
  const study: Study = {
    data_sha256: createHash("sha256").update(bytes).digest("hex"),
    model: flags.model,
    method: flags.method,
    seed: flags.seed,
    objective: flags.objective,
    privacy_floor: flags.privacyFloor ?? null,
    target: flags.target ?? null,
    space: spaceInput,
  };
  const previous = await readPrevious(flags.out, study);
  const optimizerOptions = { method: flags.method, seed: flags.seed };
  const asTrial = (t: TrialRecord): TrialInput => ({
    params: t.params,
    value: t.value,
    feasible: t.feasible,
    pruned: t.pruned,
    ...(t.proposal ? { proposal: t.proposal as TrialInput["proposal"] } : {}),
  });
  // Grid refuses too large a space here, before any fit.
  const optimizer =
    previous.length > 0
      ? fromTrials(space, optimizerOptions, previous.map(asTrial))
      : createOptimizer(space, optimizerOptions);
  const records: TrialRecord[] = [...previous];
  const realCopyShare = copyShareOf(train, holdout, metadata);

  await prepareBackend(flags.model, flags.backend);
  const header = `  #   score    fit_s  privacy  feasible  pruned  params`;
  process.stderr.write(
    `${flags.method} search of ${flags.model}: ${rowCount(train)} training rows, ${rowCount(holdout)} holdout rows` +
      (previous.length > 0 ? `, resuming after ${previous.length} trials` : "") +
      `\n${header}\n`,
  );
  previous.forEach((t, i) => process.stderr.write(`${tableRow(i, t)}  (resumed)\n`));
  const started = performance.now();
  const abort = abortOnSigint();
  let stopped = "";
  try {
    while (records.length < flags.trials) {
      if (flags.timeBudget !== undefined && (performance.now() - started) / 1000 >= flags.timeBudget) {
        stopped = `time budget of ${flags.timeBudget}s spent`;
        break;
      }
      const [params] = optimizer.ask(1);
      if (params === undefined) {
        stopped = "the search space is exhausted";
        break;
      }
      let record: TrialRecord;
      try {
        record = await runTrial(params, {
          flags,
          train,
          holdout,
          metadata,
          realCopyShare,
          signal: abort.signal,
        });
      } catch (error) {
        if (isSynthError(error) && error.code === "ABORTED") {
          stopped = "stopped (Ctrl-C)";
          break;
        }
        throw error;
      }
      optimizer.tell(params, record.value, { feasible: record.feasible, pruned: record.pruned });
      const told = optimizer.trials()[records.length];
      if (told?.proposal) record.proposal = told.proposal;
      records.push(record);
      process.stderr.write(`${tableRow(records.length - 1, record)}\n`);
      await writeAtomically(flags.out, result(study, records));
    }
  } finally {
    abort.release();
  }
  await writeAtomically(flags.out, result(study, records));
  const best = result(study, records).best;
  process.stderr.write(
    (stopped ? `${stopped}; ` : "") +
      `${records.length} trials, best ${best ? `score ${f3(best.score as number)} ${JSON.stringify(best.params)}` : "none feasible"}; wrote ${flags.out}\n`,
  );
}

function copyShareOf(reference: Table, rows: Table, metadata: TableMetadata): number | undefined {
  try {
    const copies = new DcrIndex(reference, metadata).copies(rows);
    let n = 0;
    for (const c of copies) n += c;
    return copies.length ? n / copies.length : 0;
  } catch (error) {
    if (isSynthError(error) && error.code === "INCOMPATIBLE_TABLES") return undefined;
    throw error;
  }
}

interface TrialContext {
  flags: OptimizeFlags;
  train: Table;
  holdout: Table;
  metadata: TableMetadata;
  realCopyShare: number | undefined;
  signal: AbortSignal;
}

async function runTrial(params: Params, c: TrialContext): Promise<TrialRecord> {
  const options = toModelOptions(c.flags.model, params);
  const { modelConfig, transformer } = splitModelOptions(options);
  const t0 = performance.now();
  // CPU seconds of the fit (all of this process's threads): what cost-aware scoring divides by, and what
  // stays honest on a loaded machine, where wall time does not.
  const cpu0 = process.cpuUsage();
  let synth: Synthesizer;
  try {
    synth = await Synthesizer.fit(
      c.train,
      c.metadata,
      { model: c.flags.model, modelConfig, transformer, seed: c.flags.seed },
      { signal: c.signal },
    );
  } catch (error) {
    if (!isSynthError(error) || error.code === "ABORTED") throw error;
    // A point the model refuses (e.g. a batch it cannot use) is a failed trial, not a failed study.
    return {
      params,
      model_options: options,
      score: null,
      value: 0,
      feasible: false,
      reasons: [`fit failed: ${error.code}: ${error.message}`],
      pruned: false,
      fit_s: (performance.now() - t0) / 1000,
      privacy: null,
    };
  }
  const fitSeconds = (performance.now() - t0) / 1000;
  const cpuUsed = process.cpuUsage(cpu0);
  const fitCpuSeconds = (cpuUsed.user + cpuUsed.system) / 1e6;
  const rows = rowCount(c.holdout);
  const { table: sample } = await synth.sampleWithReport(rows, { seed: c.flags.seed });
  synth.dispose();
  const quality = qualityReport(c.holdout, sample, c.metadata, { seed: c.flags.seed }).allPairs.overall ?? 0;
  let baseline: number | undefined;
  let copyShare: number | undefined;
  if (c.realCopyShare !== undefined) {
    const p = privacy(c.train, sample, c.metadata, { rng: createRng(c.flags.seed) });
    baseline = p.baselineProtection.score ?? undefined;
    copyShare = p.copyShare;
  }
  let ml: number | undefined;
  let mlDetail: Record<string, unknown> | null = null;
  if (c.flags.target !== undefined) {
    const m = mlEfficacy(c.train, sample, c.holdout, c.metadata, c.flags.target, createRng(c.flags.seed));
    // Synthetic-trained over real-trained (objective.ts); a real score at or below 0 (an r2) leaves no ratio.
    ml = m.real > 0 ? m.synthetic / m.real : m.synthetic;
    mlDetail = { metric: m.metric, synthetic: m.synthetic, real: m.real, efficacy: ml };
  }
  const objective = evaluateObjective(
    {
      quality,
      ...(ml !== undefined ? { ml } : {}),
      ...(baseline !== undefined ? { dcrBaselineProtection: baseline } : {}),
      ...(copyShare !== undefined ? { copyShare } : {}),
      ...(c.realCopyShare !== undefined ? { realCopyShare: c.realCopyShare } : {}),
      fitSeconds,
      cpuSeconds: fitCpuSeconds,
    },
    {
      kind: c.flags.objective,
      ...(c.flags.privacyFloor !== undefined ? { privacyFloor: c.flags.privacyFloor } : {}),
    },
  );
  return {
    params,
    model_options: options,
    score: objective.score,
    value: objective.value,
    feasible: objective.feasible,
    reasons: objective.reasons,
    pruned: false,
    fit_s: fitSeconds,
    fit_cpu_s: fitCpuSeconds,
    quality,
    ml_efficacy: mlDetail,
    privacy:
      c.realCopyShare === undefined
        ? null
        : {
            dcr_baseline_protection: baseline ?? null,
            copy_share: copyShare,
            real_copy_share: c.realCopyShare,
          },
  };
}

function result(study: Study, trials: TrialRecord[]) {
  let best: (TrialRecord & { index: number }) | null = null;
  for (const [index, t] of trials.entries()) {
    if (!t.feasible || t.pruned || t.score === null) continue;
    if (best === null || t.score > (best.score as number)) best = { ...t, index };
  }
  const scored = trials.map((t, index) => ({ t, index })).filter(({ t }) => t.score !== null);
  const front = paretoFront(
    scored.map(({ t }) => ({
      quality: t.score as number,
      fitSeconds: t.fit_s as number,
      privacy: (t.privacy as { dcr_baseline_protection: number | null } | null)?.dcr_baseline_protection ?? 0,
    })),
  );
  return {
    study,
    best,
    trials,
    pareto: front.map((i) => {
      const { t, index } = scored[i];
      return {
        index,
        params: t.params,
        score: t.score,
        fit_s: t.fit_s,
        privacy: t.privacy,
        feasible: t.feasible,
      };
    }),
  };
}
