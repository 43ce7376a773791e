import { createHash } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { z } from "zod";
import { isSynthError, synthError } from "../../shared/errors.ts";
import { rowCount } from "../../shared/data/table.ts";
import { modelKindSchema, type ModelKind } from "../../shared/synth/models.ts";
import { METHODS, createOptimizer, fromTrials, type TrialInput } from "../../shared/tuning/optimizer.ts";
import { defaultSpaceInput, modelConstraints, parseSpace } from "../../shared/tuning/space.ts";
import { checkpointEpochs, completedCurves } from "../../shared/tuning/checkpoints.ts";
import {
  copyShareOf,
  runTrial,
  splitForTrials,
  studyResult,
  trialRecordSchema,
  type TrialRecord,
} from "../../shared/tuning/trial.ts";
import { nodeParallelFit } from "../fit-replica.ts";
import {
  abortOnSigint,
  parseFlags,
  prepareBackend,
  readTableFile,
  THREADS_HELP,
  threadsFlagSchema,
} from "../synth-io.ts";
import { readDataFile, dataLimitsFromEnv } from "../data-file.ts";

/**
 * `synth optimize`: a hyperparameter study on one table, its trials run in-process one after another by
 * shared/tuning/trial.ts (the evaluation the runner's trial executor runs too); the optimiser proposes.
 * With pruning (the default), a neural trial is measured at the study's checkpoint epochs and stopped when
 * below the median of the completed trials there (shared/tuning/checkpoints.ts); the curves live in the
 * trials, so a resumed study goes on comparing against them. Pruning is not part of the study's identity:
 * each trial records whether it was pruned, so a study may be resumed with or without it.
 */

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
  threads: threadsFlagSchema,
  /** On by default: the study's budget goes to promising trials (the copula has no epochs to stop at). */
  prune: z.boolean().default(true),
  out: z.string().min(1),
});
type OptimizeFlags = z.output<typeof optimizeFlagsSchema>;

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
    .option("--threads <n|auto>", THREADS_HELP, "auto")
    .option(
      "--prune",
      "stop a CTGAN / TVAE trial whose holdout quality at a checkpoint epoch is below the completed trials' median (default)",
    )
    .option("--no-prune", "train every trial to its last epoch")
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
  const { train, holdout } = splitForTrials(table, flags.seed);
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
  const checkpoints = flags.prune ? checkpointEpochs(flags.model, space) : [];

  await prepareBackend(flags.model, flags.backend);
  const header = `  #   score    fit_s  privacy  feasible  pruned  params`;
  process.stderr.write(
    `${flags.method} search of ${flags.model}: ${rowCount(train)} training rows, ${rowCount(holdout)} holdout rows` +
      (previous.length > 0 ? `, resuming after ${previous.length} trials` : "") +
      (checkpoints.length > 0 ? `; median pruning at epochs ${checkpoints.join(", ")}` : "") +
      `\n${header}\n`,
  );
  previous.forEach((t, i) => process.stderr.write(`${tableRow(i, t)}  (resumed)\n`));
  const started = performance.now();
  // Both threads' CPU is the process's, so a trial's fit_cpu_s stays its whole cost.
  const parallel = nodeParallelFit(flags.threads);
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
          model: flags.model,
          seed: flags.seed,
          objective: {
            kind: flags.objective,
            ...(flags.privacyFloor !== undefined ? { privacyFloor: flags.privacyFloor } : {}),
          },
          ...(flags.target !== undefined ? { target: flags.target } : {}),
          train,
          holdout,
          metadata,
          realCopyShare,
          signal: abort.signal,
          cpuSeconds: processCpuSeconds,
          ...(parallel ? { parallel } : {}),
          ...(checkpoints.length > 0
            ? { pruning: { checkpoints, completed: completedCurves(records) } }
            : {}),
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

function result(study: Study, trials: TrialRecord[]) {
  return { study, ...studyResult(trials), trials };
}

/** One trial runs at a time in this process, so the process's CPU clock is the trial's. */
function processCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
