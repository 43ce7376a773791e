/**
 * What the fit, sample and generate commands share: reading a table (and optional metadata) from disk,
 * writing the synthetic table in the format its file name asks for, the fit options, and progress
 * reporting (a bar on a terminal, one plain line per epoch otherwise, e.g. in CI logs).
 */
import { readFile, writeFile } from "node:fs/promises";
import { z } from "zod";
import { synthError } from "../shared/errors.ts";
import { writeTable } from "../shared/data/write.ts";
import { formatFromFileName, type FileFormat } from "../shared/data/formats.ts";
import type { Table } from "../shared/data/table.ts";
import type { TableMetadata } from "../shared/data/metadata.ts";
import type { EpochProgress } from "../shared/synth/matrix-model.ts";
import { isNeural, modelKindSchema, type ModelKind } from "../shared/synth/models.ts";
import { Synthesizer, type SynthesizerOptions } from "../shared/synth/synthesizer.ts";
import { toModelOptions } from "../shared/tuning/space.ts";
import { splitModelOptions } from "../shared/tuning/trial.ts";
import type { PrivacyGuardReport } from "../shared/synth/privacy-guard.ts";
import { MAX_FIT_THREADS, nodeParallelFit } from "./fit-replica.ts";
import { initNodeBackend } from "./tf-backend.ts";
import { loadDataFile, readMetadataFile } from "./data-file.ts";

export async function readTableFile(
  path: string,
  metadataPath?: string,
): Promise<{ table: Table; metadata: TableMetadata }> {
  const metadata = metadataPath === undefined ? undefined : await readMetadataFile(metadataPath);
  const loaded = await loadDataFile(path, metadata ? { metadata } : {});
  return { table: loaded.table, metadata: loaded.metadata };
}

/** The output format a file name asks for; checked before any work so a typo fails at once. */
export function outputFormatOf(path: string): FileFormat {
  const format = formatFromFileName(path);
  if (format === undefined) {
    throw synthError("UNSUPPORTED_FORMAT", `cannot tell the output format from ${path}`, {
      path,
      expected: ".csv, .json, .jsonl, .xlsx or .parquet",
    });
  }
  return format;
}

/** The help line of --excel-safe-csv, shared by every command that writes a table. */
export const EXCEL_SAFE_CSV_HELP =
  "CSV output: prefix ' to values starting with = + - @ so a spreadsheet never runs them as formulas " +
  "(those values then no longer read back as themselves)";

/**
 * Writes a table in the format its file name asks for. Every value is written exactly as it is, unless
 * `excelSafeCsv` asks for spreadsheet-safe CSV (see writeOptionsSchema.excelSafe for its cost).
 */
export async function writeTableFile(
  table: Table,
  metadata: TableMetadata,
  path: string,
  options: { excelSafeCsv?: boolean } = {},
): Promise<void> {
  const format = outputFormatOf(path);
  if (options.excelSafeCsv === true && format !== "csv") {
    process.stderr.write(`note: --excel-safe-csv applies to CSV output only; ${path} is ${format}\n`);
  }
  await writeFile(
    path,
    await writeTable(table, metadata, format, { excelSafe: options.excelSafeCsv === true }),
  );
}

const int = (name: string) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a non-negative integer`)
    .transform((v) => Number(v));

/** --threads auto | n: training threads for CTGAN and TVAE (cli/fit-replica.ts, cli/tf-wasm-threads.ts). */
export const threadsFlagSchema = z
  .string()
  .regex(/^(auto|\d+)$/, "--threads must be auto or a whole number")
  .transform((v) => (v === "auto" ? ("auto" as const) : Number(v)))
  .pipe(
    z.union([
      z.literal("auto"),
      z
        .number()
        .int()
        .min(1, "--threads must be at least 1")
        .max(MAX_FIT_THREADS, `--threads is at most ${MAX_FIT_THREADS}`),
    ]),
  )
  .default("auto");

export const THREADS_HELP =
  "training threads for ctgan / tvae: auto (on two or more cores: data-parallel steps on two threads for fits of at least 10 000 rows per epoch; below that one thread, where a second was measured to lose) or a count of data-parallel threads; data-parallel threads change the model as the seed does";

export const fitFlagsSchema = z.object({
  /** Absent: gaussian_copula, or the model a --config best.json was tuned for. */
  model: modelKindSchema.optional(),
  epochs: int("--epochs").optional(),
  batchSize: int("--batch-size").optional(),
  seed: int("--seed").optional(),
  metadata: z.string().optional(),
  timeBudget: int("--time-budget").optional(),
  backend: z.enum(["wasm", "cpu"]).default("wasm"),
  threads: threadsFlagSchema,
  config: z.string().optional(),
  /** --no-privacy-guard (commander sets false); --privacy-min-row-count k. */
  privacyGuard: z.boolean().default(true),
  privacyMinRowCount: int("--privacy-min-row-count").optional(),
});
export type FitFlags = z.infer<typeof fitFlagsSchema>;

export function parseFlags<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw synthError("VALIDATION_ERROR", parsed.error.issues.map((i) => i.message).join("; "), {
      issues: parsed.error.issues,
    });
  }
  return parsed.data;
}

/** Keys of a point that are transformer options (the Gaussian copula's codec switches), not model hyperparameters. */
export { splitModelOptions };

/** A `synth optimize` result: its best parameters are the configuration. */
const bestFileSchema = z.object({
  study: z.object({ model: modelKindSchema }).loose().optional(),
  best: z.object({ params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])) }).loose(),
});

export interface ResolvedConfig {
  modelConfig: Record<string, unknown>;
  transformer: Record<string, unknown>;
  /** The model a best.json was tuned for. */
  model?: ModelKind;
  fromBest: boolean;
}

/**
 * --config: inline JSON or a file holding it; either a JSON object of hyperparameters or a `synth optimize`
 * best.json, whose `best.params` are mapped by toModelOptions (`learning_rate` to the model's rates). Keys
 * that are transformer options (enforceRounding, enforceMinMaxValues, ...) go to the transformer.
 */
export async function resolveConfig(config: string, model: ModelKind | undefined): Promise<ResolvedConfig> {
  const text = config.trimStart().startsWith("{") ? config : await readConfigFile(config);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw synthError("INVALID_MODEL_CONFIG", "--config must be JSON (inline or a file)", {}, error);
  }
  const best = bestFileSchema.safeParse(json);
  let params: Record<string, unknown>;
  let tunedFor: ModelKind | undefined;
  const isBest = best.success && json !== null && typeof json === "object" && "trials" in json;
  if (isBest) {
    tunedFor = best.data.study?.model;
    params = toModelOptions(tunedFor ?? model ?? "gaussian_copula", best.data.best.params);
  } else {
    if (
      json !== null &&
      typeof json === "object" &&
      "best" in json &&
      (json as { best: unknown }).best === null
    )
      throw synthError("INVALID_MODEL_CONFIG", "this best.json has no feasible best trial (best is null)");
    const plain = z.record(z.string(), z.unknown()).safeParse(json);
    if (!plain.success)
      throw synthError(
        "INVALID_MODEL_CONFIG",
        "--config must be a JSON object of hyperparameters or a best.json",
      );
    params = plain.data;
  }
  return { ...splitModelOptions(params), fromBest: isBest, ...(tunedFor ? { model: tunedFor } : {}) };
}

async function readConfigFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (cause) {
    throw synthError(
      "INVALID_MODEL_CONFIG",
      `--config is neither inline JSON nor a readable file: ${path}`,
      { path },
      cause,
    );
  }
}

/** Synthesizer options from the flags; --config (resolveConfig) is overridden by explicit flags. */
export async function synthesizerOptions(flags: FitFlags): Promise<SynthesizerOptions> {
  const resolved =
    flags.config !== undefined
      ? await resolveConfig(flags.config, flags.model)
      : { modelConfig: {}, transformer: {}, fromBest: false };
  const modelConfig = resolved.modelConfig;
  if (resolved.model !== undefined && flags.model !== undefined && resolved.model !== flags.model) {
    throw synthError(
      "INVALID_MODEL_CONFIG",
      `the --config best.json was tuned for ${resolved.model}, not --model ${flags.model}`,
      { tunedFor: resolved.model, model: flags.model },
    );
  }
  const model = flags.model ?? resolved.model ?? "gaussian_copula";
  if (isNeural(model)) {
    if (flags.epochs !== undefined) modelConfig.epochs = flags.epochs;
    if (flags.batchSize !== undefined) modelConfig.batch_size = flags.batchSize;
  } else if (flags.epochs !== undefined || flags.batchSize !== undefined) {
    process.stderr.write("note: --epochs and --batch-size apply to ctgan and tvae only\n");
  }
  if (flags.config !== undefined) {
    process.stderr.write(
      `config${resolved.fromBest ? " (best.json best.params)" : ""}: model ${JSON.stringify(modelConfig)} transformer ${JSON.stringify(resolved.transformer)}\n`,
    );
  }
  return {
    model,
    modelConfig,
    transformer: resolved.transformer,
    seed: flags.seed ?? 0,
    privacy: {
      guard: flags.privacyGuard,
      ...(flags.privacyMinRowCount !== undefined ? { minRowCount: flags.privacyMinRowCount } : {}),
    },
    ...(flags.timeBudget !== undefined ? { timeBudgetMs: flags.timeBudget * 1000 } : {}),
  };
}

/** One line for stderr on what the privacy guard did to a sample. */
export function guardSummary(rows: number, guard: PrivacyGuardReport): string {
  if (guard.status === "off") return `privacy guard off (${guard.reason ?? "turned off"})\n`;
  if (guard.status === "unavailable") {
    return `warning: the privacy guard could not run: ${guard.reason ?? "no training-row hashes"}\n`;
  }
  const dropped =
    guard.dropped > 0
      ? `; ${guard.dropped} rows still copied one after ${guard.rounds} rounds and were dropped, so ${rows} rows were written`
      : "";
  return `privacy guard (k = ${guard.minRowCount}): ${guard.resampled} rows equal to a rare real row resampled${dropped}\n`;
}

export async function prepareBackend(model: ModelKind, backend: "wasm" | "cpu"): Promise<void> {
  if (!isNeural(model)) return;
  const info = await initNodeBackend({ backend });
  if (info.fallbackReason !== undefined) {
    process.stderr.write(`note: using the cpu backend (wasm failed: ${info.fallbackReason})\n`);
  }
}

const seconds = (ms: number): string =>
  ms >= 60_000
    ? `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")}s`
    : `${(ms / 1000).toFixed(1)}s`;

/** Per-epoch progress: a redrawn bar on a TTY, plain lines otherwise. */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): {
  onEpoch: (p: EpochProgress) => void;
  done: () => void;
} {
  const tty = stream.isTTY === true;
  let drawn = false;
  return {
    onEpoch: (p) => {
      if (p.epochs === 1 && Object.keys(p.losses).length === 0) {
        stream.write(`fitted in ${seconds(p.elapsedMs)}\n`);
        return;
      }
      const losses = Object.entries(p.losses)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join("  ");
      const timing = `elapsed ${seconds(p.elapsedMs)}  eta ${seconds(p.etaMs)}`;
      if (tty) {
        const width = 30;
        const filled = Math.round((p.epoch / p.epochs) * width);
        const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
        stream.write(`\r\x1b[2K${bar} epoch ${p.epoch}/${p.epochs}  ${losses}  ${timing}`);
        drawn = true;
      } else {
        stream.write(`epoch ${p.epoch}/${p.epochs}  ${losses}  ${timing}\n`);
      }
    },
    done: () => {
      if (drawn) stream.write("\n");
    },
  };
}

/** Ctrl-C stops training cleanly (the fit rejects with ABORTED) instead of killing the process mid-write. */
export function abortOnSigint(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const handler = () => controller.abort();
  process.once("SIGINT", handler);
  return { signal: controller.signal, release: () => process.off("SIGINT", handler) };
}

/**
 * Fits the synthesizer the flags describe, with the progress display and Ctrl-C stopping training; what
 * fit and generate both do before they part ways.
 */
export async function fitFromFlags(
  table: Table,
  metadata: TableMetadata,
  flags: FitFlags,
): Promise<Synthesizer> {
  const options = await synthesizerOptions(flags);
  await prepareBackend(options.model ?? "gaussian_copula", flags.backend);
  const progress = progressReporter();
  const abort = abortOnSigint();
  try {
    const parallel = nodeParallelFit(flags.threads);
    const synth = await Synthesizer.fit(table, metadata, options, {
      onEpoch: progress.onEpoch,
      signal: abort.signal,
      ...(parallel ? { parallel } : {}),
    });
    progress.done();
    return synth;
  } finally {
    abort.release();
  }
}
