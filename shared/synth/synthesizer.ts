import { z } from "zod";
import { synthError } from "../errors.ts";
import { createRng } from "../random.ts";
import type { Rng } from "../random.ts";
import type { Cell, Table } from "../data/table.ts";
import { rowCount, takeRows } from "../data/table.ts";
import { tableMetadataSchema } from "../data/metadata.ts";
import type { TableMetadata } from "../data/metadata.ts";
import type {
  EpochProgress,
  MatrixCondition,
  MatrixModel,
  MatrixModelState,
  ParallelFit,
} from "./matrix-model.ts";
import { DataTransformer, transformerOptionsSchema } from "./transformer/transformer.ts";
import type { TransformerState } from "./transformer/transformer.ts";
import { GaussianCopula } from "./copula/gaussian-copula.ts";
import type { CopulaState } from "./copula/gaussian-copula.ts";
import { categoricalCode, cellKey, generateColumn } from "./transformer/column-codec.ts";
import type { CategoricalSpec, ColumnSpec } from "./transformer/column-codec.ts";
import { createMatrixModel, isNeural, modelKindSchema, restoreMatrixModel } from "./models.ts";
import type { ModelKind } from "./models.ts";
import {
  MAX_GUARD_ROUNDS,
  RareRowIndex,
  canonicalRowKeys,
  privacyOptionsSchema,
  samplePrivacySchema,
} from "./privacy-guard.ts";
import type { PrivacyGuardReport, RareRowState } from "./privacy-guard.ts";

/**
 * One entry point over the three synthesizers: fit a table (validated against its metadata), sample rows
 * (optionally conditioned on categorical values), save and load through the artifact format (artifact.ts).
 * The neural models need a tfjs backend chosen by the caller first (shared/synth/backend.ts).
 */
export const synthesizerOptionsSchema = z
  .object({
    model: modelKindSchema.default("gaussian_copula"),
    /** Hyperparameters of the model, validated by the model (CTGAN / TVAE names as in the reference). */
    modelConfig: z.record(z.string(), z.unknown()).default({}),
    /** Transformer and post-processing options (enforceRounding, enforceMinMaxValues, ...). */
    transformer: transformerOptionsSchema.prefault({}),
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    timeBudgetMs: z.number().positive().optional(),
    /** The privacy guard (privacy-guard.ts): on, k = 2 by default; `{ guard: false }` keeps no row hashes. */
    privacy: privacyOptionsSchema.prefault({}),
  })
  .strict();
export type SynthesizerOptions = z.input<typeof synthesizerOptionsSchema>;

/**
 * An epoch's progress as Synthesizer.fit reports it. The neural models add `sample`: rows drawn from the
 * model as it is after this epoch, decoded through the fitted transformer and passed through the privacy
 * guard exactly as sample() would (shared/tuning prunes hopeless trials on their quality). It is valid only
 * until the callback's promise settles (the fit trains on afterwards), draws from its own seeded Rng and
 * changes no weight or batch-norm statistic, so a fit whose callback samples ends with the very model a fit
 * without it ends with. Only the wall clock moves: under a time budget, sampling time counts against it.
 * The Gaussian copula has no epochs to sample between and gives no `sample`.
 */
export interface FitEpoch extends EpochProgress {
  sample?: (rows: number, seed: number) => Promise<Table>;
}

export interface FitControl {
  onEpoch?: (progress: FitEpoch) => void | Promise<void>;
  signal?: AbortSignal;
  /**
   * Data-parallel training over threads (CTGAN and TVAE; nn/data-parallel.ts). How the runtime starts a
   * thread is its own (cli/fit-replica.ts on Node), hence a control, not an option: an artifact records the
   * model, not the machine that trained it.
   */
  parallel?: ParallelFit;
}

const conditionValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
type ConditionValue = z.infer<typeof conditionValueSchema>;
/**
 * Column -> value. Not z.record: it copies into a plain object, where a column named `__proto__` sets the
 * prototype instead of a key and the condition is silently lost. The own keys go into a null-prototype copy.
 */
const conditionsSchema = z
  .custom<Record<string, ConditionValue>>(
    (v) => typeof v === "object" && v !== null && !Array.isArray(v),
    "conditions must be an object of column -> value",
  )
  .transform((v, ctx) => {
    const out = Object.create(null) as Record<string, ConditionValue>;
    for (const [column, value] of Object.entries(v)) {
      const parsed = conditionValueSchema.safeParse(value);
      if (!parsed.success) {
        ctx.addIssue({
          code: "custom",
          path: [column],
          message: "a condition is a string, number, boolean or null",
        });
        return z.NEVER;
      }
      out[column] = parsed.data;
    }
    return out;
  });
export const sampleOptionsSchema = z
  .object({
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    /** Values of categorical / boolean columns every sampled row must have (SDV's sample_from_conditions). */
    conditions: conditionsSchema.optional(),
    /** Rejection rounds before giving up with CONDITION_UNSATISFIABLE. */
    maxTries: z.number().int().min(1).max(10_000).default(100),
    /** Overrides the fitted privacy guard for this sample: `{ guard: false }`, or a k up to the fitted one. */
    privacy: samplePrivacySchema.optional(),
  })
  .strict();
export type SampleOptions = z.input<typeof sampleOptionsSchema>;

export interface FitStats {
  transformerMs: number;
  fitMs: number;
  epochs: EpochProgress[];
}

interface SampledBatch {
  table: Table;
}

function validateInputs(table: Table, raw: unknown): TableMetadata {
  const parsed = tableMetadataSchema.safeParse(raw);
  if (!parsed.success) {
    throw synthError("INVALID_METADATA", "the table metadata is invalid", {
      issues: parsed.error.issues.slice(0, 5),
    });
  }
  const metadata = parsed.data;
  const n = rowCount(table);
  if (table.columns.length === 0 || n === 0) {
    throw synthError("VALIDATION_ERROR", "cannot fit a synthesizer on an empty table", { rows: n });
  }
  table.data.forEach((col, j) => {
    if (col.length !== n) {
      throw synthError(
        "VALIDATION_ERROR",
        `column ${table.columns[j]} has ${col.length} cells, expected ${n}`,
        {
          column: table.columns[j],
        },
      );
    }
  });
  for (const name of table.columns) {
    if (!metadata.columns.some((c) => c.name === name)) {
      throw synthError("INVALID_METADATA", `column ${name} has no metadata`, { column: name });
    }
  }
  for (const c of metadata.columns) {
    if (!table.columns.includes(c.name)) {
      throw synthError("UNKNOWN_COLUMN", `metadata names column ${c.name}, which the table does not have`, {
        column: c.name,
      });
    }
  }
  return metadata;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw synthError("ABORTED", "Training was stopped before it finished");
}

export interface SynthesizerParts {
  kind: ModelKind;
  /** Hashes of the rare training rows (absent: fitted with the guard off, or an artifact from before it). */
  rareRows?: RareRowIndex;
  /** The column metadata the model was fitted with (writers need it to format the output). */
  metadata: TableMetadata;
  options: z.output<typeof synthesizerOptionsSchema>;
  transformer?: DataTransformer;
  model?: MatrixModel;
  copula?: GaussianCopula;
}

export class Synthesizer {
  readonly kind: ModelKind;
  readonly metadata: TableMetadata;
  readonly options: z.output<typeof synthesizerOptionsSchema>;
  readonly stats: FitStats | undefined;
  private readonly transformer: DataTransformer | undefined;
  private readonly model: MatrixModel | undefined;
  private readonly copula: GaussianCopula | undefined;
  private readonly rareRows: RareRowIndex | undefined;

  constructor(parts: SynthesizerParts, stats?: FitStats) {
    this.kind = parts.kind;
    this.metadata = parts.metadata;
    this.options = parts.options;
    this.transformer = parts.transformer;
    this.model = parts.model;
    this.copula = parts.copula;
    this.rareRows = parts.rareRows;
    this.stats = stats;
    if (isNeural(this.kind) ? !this.transformer || !this.model : !this.copula) {
      throw synthError("INTERNAL_ERROR", `a ${this.kind} synthesizer is missing its parts`);
    }
    const compared = this.specs.filter((s) => s.kind !== "generated").map((s) => s.name);
    if (this.rareRows && this.rareRows.columns.join("\u0000") !== compared.join("\u0000")) {
      throw synthError("INVALID_ARTIFACT", "the stored training-row hashes were made over other columns");
    }
  }

  static async fit(
    table: Table,
    metadata: TableMetadata,
    options: SynthesizerOptions = {},
    control: FitControl = {},
  ): Promise<Synthesizer> {
    const parsed = synthesizerOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw synthError("INVALID_MODEL_CONFIG", "invalid synthesizer options", {
        issues: parsed.error.issues.slice(0, 5),
      });
    }
    const opts = parsed.data;
    const meta = validateInputs(table, metadata);
    throwIfAborted(control.signal);
    const rng = createRng(opts.seed);
    const epochs: EpochProgress[] = [];
    const started = performance.now();
    if (!isNeural(opts.model)) {
      const copula = GaussianCopula.fit(table, meta, rng, {
        enforceRounding: opts.transformer.enforceRounding,
        enforceMinMaxValues: opts.transformer.enforceMinMaxValues,
      });
      throwIfAborted(control.signal);
      const fitMs = performance.now() - started;
      const progress = { epoch: 1, epochs: 1, losses: {}, elapsedMs: fitMs, etaMs: 0 };
      epochs.push(progress);
      await control.onEpoch?.(progress);
      const rareRows = rareRowIndex(table, copula.specs, meta, opts);
      return new Synthesizer(
        { kind: opts.model, metadata: meta, options: opts, copula, rareRows },
        { transformerMs: 0, fitMs, epochs },
      );
    }
    const transformer = DataTransformer.fit(table, meta, rng, opts.transformer);
    if (transformer.width === 0) {
      throw synthError(
        "VALIDATION_ERROR",
        "no column can be learned (only ids, text, personal data or constants): use gaussian_copula",
        { model: opts.model },
      );
    }
    const matrix = transformer.transform(table, rng);
    const transformerMs = performance.now() - started;
    throwIfAborted(control.signal);
    const model = createMatrixModel(opts.model, opts.modelConfig);
    // Before the fit (it depends on the table and the specs only, no Rng) so mid-fit samples are guarded too.
    const rareRows = rareRowIndex(table, transformer.specs, meta, opts);
    // The model in training, for the epochs' samples; the fit keeps owning (and disposing) the model.
    const training = new Synthesizer({
      kind: opts.model,
      metadata: meta,
      options: opts,
      transformer,
      model,
      rareRows,
    });
    const sample = (rows: number, seed: number) => training.sample(rows, { seed });
    try {
      await model.fit(matrix, {
        rng,
        signal: control.signal,
        ...(control.parallel ? { parallel: control.parallel } : {}),
        timeBudgetMs: opts.timeBudgetMs,
        onEpoch: async (p) => {
          epochs.push(p);
          await control.onEpoch?.({ ...p, sample });
        },
      });
    } catch (error) {
      model.dispose();
      throw error;
    }
    const fitMs = performance.now() - started;
    return new Synthesizer(
      { kind: opts.model, metadata: meta, options: opts, transformer, model, rareRows },
      { transformerMs, fitMs, epochs },
    );
  }

  /** Column specs learned at fit time (names, kinds, levels, ranges), in table order. */
  get specs(): ColumnSpec[] {
    return (this.copula?.specs ?? this.transformer?.specs) as ColumnSpec[];
  }

  get columns(): string[] {
    return this.specs.map((s) => s.name);
  }

  private async sampleBatch(
    rows: number,
    rng: Rng,
    condition: MatrixCondition | undefined,
  ): Promise<SampledBatch> {
    if (this.copula) return { table: this.copula.sample(rows, rng) };
    const model = this.model as MatrixModel;
    const transformer = this.transformer as DataTransformer;
    const raw = await model.sampleMatrix(rows, rng, condition);
    const matrix = raw.length === rows * transformer.width ? raw : raw.subarray(0, rows * transformer.width);
    return { table: transformer.inverse(matrix, rows, rng) };
  }

  /**
   * Samples `rows` rows. With conditions, rows are drawn in rounds and those that match are kept (bounded:
   * `maxTries` rounds); CTGAN also conditions its generator on one of them, as SDV does, so most
   * rows match at once. Fails with CONDITION_UNSATISFIABLE when a value was never seen or too few rows match.
   * The privacy guard may return fewer rows than asked (see sampleWithReport).
   */
  async sample(rows: number, options: SampleOptions = {}): Promise<Table> {
    return (await this.sampleWithReport(rows, options)).table;
  }

  /**
   * sample(), and what the privacy guard did: a row equal to a training row that fewer than k training
   * rows share is replaced by a fresh draw, for at most MAX_GUARD_ROUNDS rounds; rows still matching then
   * are dropped (`privacy.dropped`), so the table can be that much shorter than asked.
   */
  async sampleWithReport(
    rows: number,
    options: SampleOptions = {},
  ): Promise<{ table: Table; privacy: PrivacyGuardReport }> {
    if (!Number.isInteger(rows) || rows < 0) {
      throw synthError("VALIDATION_ERROR", "the number of rows must be a non-negative integer", { rows });
    }
    const parsed = sampleOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw synthError("VALIDATION_ERROR", "invalid sample options", {
        issues: parsed.error.issues.slice(0, 5),
      });
    }
    const opts = parsed.data;
    const seed = opts.seed ?? crypto.getRandomValues(new Uint32Array(1))[0];
    const rng = createRng(seed);
    const conditions = Object.entries(opts.conditions ?? {});
    let draw: (n: number, strict: boolean) => Promise<Table>;
    if (conditions.length === 0) {
      draw = async (n) => (await this.sampleBatch(n, rng, undefined)).table;
    } else {
      const checks = conditions.map(([column, value]) => this.conditionCheck(column, value));
      // CTGAN's generator takes one condition: the first the model can express (a level in the one-hot).
      const matrixCondition =
        this.kind === "ctgan" ? checks.find((c) => c.matrixCondition)?.matrixCondition : undefined;
      draw = (n, strict) =>
        this.drawMatching(
          n,
          rng,
          checks,
          matrixCondition,
          opts.maxTries,
          strict ? opts.conditions : undefined,
        );
    }
    const guarded = await this.guard(await draw(rows, true), draw, opts.privacy);
    // Ids are regenerated over the final rows whenever rows were combined, so they stay unique.
    const table =
      conditions.length > 0 || guarded.changed ? this.regenerate(guarded.table, rng) : guarded.table;
    return { table, privacy: guarded.report };
  }

  /** Draws rounds of rows and keeps those matching every condition; `strict` (the conditions) throws when short. */
  private async drawMatching(
    rows: number,
    rng: Rng,
    checks: { column: string; key: string }[],
    matrixCondition: MatrixCondition | undefined,
    maxTries: number,
    strict: Record<string, Cell> | undefined,
  ): Promise<Table> {
    const kept: Table[] = [];
    let obtained = 0;
    let drawn = 0;
    for (let attempt = 0; attempt < maxTries && obtained < rows; attempt++) {
      const rate = drawn === 0 ? 1 : Math.max(obtained / drawn, 0.01);
      // Sized from the acceptance rate seen so far, and bounded so a rare condition cannot exhaust memory.
      const batch = Math.min(
        Math.max(100, Math.ceil(((rows - obtained) / rate) * 1.1)),
        Math.max(10 * rows, 10_000),
        200_000,
      );
      const { table } = await this.sampleBatch(batch, rng, matrixCondition);
      drawn += batch;
      const cols = checks.map((c) => table.data[table.columns.indexOf(c.column)]);
      const match: number[] = [];
      for (let i = 0; i < batch && obtained + match.length < rows; i++) {
        if (checks.every((c, k) => cellKey(cols[k][i]) === c.key)) match.push(i);
      }
      obtained += match.length;
      kept.push(takeRows(table, match));
    }
    if (strict !== undefined && obtained < rows) {
      throw synthError(
        "CONDITION_UNSATISFIABLE",
        `only ${obtained} of ${rows} rows matching the conditions were found in ${drawn} sampled rows`,
        { requested: rows, obtained, sampled: drawn, conditions: strict },
      );
    }
    return concatTables(kept, this.columns);
  }

  /** The privacy guard over one sample (privacy-guard.ts); `draw` gives fresh rows under the same conditions. */
  private async guard(
    table: Table,
    draw: (n: number, strict: boolean) => Promise<Table>,
    override: z.output<typeof samplePrivacySchema> | undefined,
  ): Promise<{ table: Table; changed: boolean; report: PrivacyGuardReport }> {
    const fitted = this.options.privacy;
    const report: PrivacyGuardReport = {
      status: "on",
      minRowCount: null,
      rareTrainingRows: null,
      resampled: 0,
      dropped: 0,
      rounds: 0,
      maxRounds: MAX_GUARD_ROUNDS,
      reason: null,
    };
    const unchanged = { table, changed: false, report };
    if (!(override?.guard ?? fitted.guard)) {
      report.status = "off";
      report.reason = fitted.guard
        ? "turned off for this sample (privacy: { guard: false })"
        : "the model was fitted with privacy: { guard: false }";
      return unchanged;
    }
    const index = this.rareRows;
    if (index === undefined) {
      report.status = "unavailable";
      report.reason = fitted.guard
        ? "the model holds no training-row hashes (saved before the privacy guard, artifact format 1): refit it to guard its samples"
        : "the model was fitted with privacy: { guard: false }, so it holds no training-row hashes: refit it with the guard on";
      return unchanged;
    }
    const k = override?.minRowCount ?? index.minRowCount;
    if (k > index.minRowCount) {
      throw synthError(
        "VALIDATION_ERROR",
        `the model was fitted with privacy.minRowCount ${index.minRowCount}; a sample can lower it, not raise it to ${k} (refit)`,
        { fitted: index.minRowCount, requested: k },
      );
    }
    report.minRowCount = k;
    report.rareTrainingRows = index.size;
    const keysOf = (t: Table) => canonicalRowKeys(t, this.specs, this.metadata);
    const firstKeys = keysOf(table);
    if (firstKeys === null || index.size === 0) return unchanged;
    let bad = index.matches(firstKeys, k).flatMap((hit, i) => (hit ? [i] : []));
    if (bad.length === 0) return unchanged;
    const n = rowCount(table);
    const data = table.data.map((col) => col.slice());
    let cleanRate = 1 - bad.length / n;
    while (bad.length > 0 && report.rounds < MAX_GUARD_ROUNDS) {
      report.rounds++;
      // Enough fresh rows that about all the bad ones are replaced in one round, bounded for memory.
      const batch = Math.min(Math.ceil((bad.length / Math.max(cleanRate, 0.1)) * 1.2) + 16, 200_000);
      const fresh = await draw(batch, false);
      const m = rowCount(fresh);
      const hits = index.matches(keysOf(fresh) ?? [], k);
      const still: number[] = [];
      let q = 0;
      for (const p of bad) {
        while (q < m && hits[q]) q++;
        if (q >= m) {
          still.push(p);
          continue;
        }
        for (let j = 0; j < data.length; j++) data[j][p] = fresh.data[j][q];
        q++;
        report.resampled++;
      }
      if (m > 0) cleanRate = hits.filter((h) => !h).length / m;
      bad = still;
    }
    report.dropped = bad.length;
    if (bad.length > 0) {
      const drop = new Set(bad);
      const keep: number[] = [];
      for (let i = 0; i < n; i++) if (!drop.has(i)) keep.push(i);
      return { table: takeRows({ columns: table.columns, data }, keep), changed: true, report };
    }
    return { table: { columns: table.columns, data }, changed: true, report };
  }

  private conditionCheck(column: string, value: Cell) {
    const spec = this.specs.find((s) => s.name === column);
    if (spec === undefined) {
      throw synthError("UNKNOWN_COLUMN", `cannot condition on ${column}: no such column`, { column });
    }
    if (spec.kind === "constant") {
      const matches = cellKey(value) === cellKey(spec.value) || (value === null && spec.nullRate > 0);
      if (!matches) throw unsatisfiable(column, value);
      return { column, key: cellKey(value), matrixCondition: undefined };
    }
    if (spec.kind !== "categorical") {
      throw synthError(
        "VALIDATION_ERROR",
        `conditions apply to categorical or boolean columns; ${column} is not`,
        {
          column,
        },
      );
    }
    const level = asLevel(spec, value);
    if (level === undefined) throw unsatisfiable(column, value);
    const matrixCondition = this.transformer?.matrixCondition(column, level) ?? undefined;
    return { column, key: cellKey(level), matrixCondition };
  }

  /** Ids and tokens are regenerated over the whole result so they stay unique across rejection rounds. */
  private regenerate(table: Table, rng: Rng): Table {
    const n = rowCount(table);
    const data = this.specs.map((spec, j) =>
      spec.kind === "generated" ? generateColumn(spec, n, rng) : table.data[j],
    );
    return { columns: table.columns, data };
  }

  /** Everything an artifact needs (artifact.ts), weights included. */
  getState(): {
    kind: ModelKind;
    metadata: TableMetadata;
    options: z.output<typeof synthesizerOptionsSchema>;
    transformer?: TransformerState;
    copula?: CopulaState;
    model?: MatrixModelState;
    rareRows?: RareRowState;
  } {
    return {
      kind: this.kind,
      metadata: this.metadata,
      options: this.options,
      ...(this.transformer ? { transformer: this.transformer.state } : {}),
      ...(this.copula ? { copula: this.copula.state } : {}),
      ...(this.model ? { model: this.model.getState() } : {}),
      ...(this.rareRows ? { rareRows: this.rareRows.state } : {}),
    };
  }

  static fromParts(
    kind: ModelKind,
    metadata: TableMetadata,
    options: unknown,
    parts: { transformer?: unknown; copula?: unknown; model?: MatrixModelState; rareRows?: unknown },
  ): Synthesizer {
    const parsed = synthesizerOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw synthError("INVALID_ARTIFACT", "the saved synthesizer options are invalid", {
        issues: parsed.error.issues.slice(0, 5),
      });
    }
    const opts = parsed.data;
    const rareRows = parts.rareRows === undefined ? undefined : RareRowIndex.fromState(parts.rareRows);
    if (isNeural(kind)) {
      if (parts.transformer === undefined || parts.model === undefined) {
        throw synthError("INVALID_ARTIFACT", `a ${kind} artifact needs a transformer and model weights`);
      }
      if (parts.model.kind !== kind) {
        throw synthError(
          "INVALID_ARTIFACT",
          `the artifact says ${kind} but holds ${parts.model.kind} weights`,
        );
      }
      return new Synthesizer({
        kind,
        metadata,
        options: opts,
        transformer: DataTransformer.fromState(parts.transformer),
        model: restoreMatrixModel(parts.model),
        rareRows,
      });
    }
    if (parts.copula === undefined)
      throw synthError("INVALID_ARTIFACT", "a gaussian_copula artifact needs its copula");
    return new Synthesizer({
      kind,
      metadata,
      options: opts,
      copula: GaussianCopula.fromState(parts.copula),
      rareRows,
    });
  }

  dispose(): void {
    this.model?.dispose();
  }
}

/**
 * The level a condition names. Values typed on a command line arrive as text, so "1" also matches the
 * number 1 and "true" the boolean true when the column holds those.
 */
function asLevel(spec: CategoricalSpec, value: Cell): Cell | undefined {
  if (categoricalCode(spec, value) >= 0) return value;
  if (typeof value !== "string") return undefined;
  const candidates: Cell[] = [];
  if (value.trim() !== "" && Number.isFinite(Number(value))) candidates.push(Number(value));
  if (value === "true" || value === "false") candidates.push(value === "true");
  return candidates.find((c) => categoricalCode(spec, c) >= 0);
}

/** The rare-row hashes the guard needs at sample time, unless the guard is off (then nothing is kept). */
function rareRowIndex(
  table: Table,
  specs: ColumnSpec[],
  metadata: TableMetadata,
  opts: z.output<typeof synthesizerOptionsSchema>,
): RareRowIndex | undefined {
  if (!opts.privacy.guard) return undefined;
  return RareRowIndex.build(table, specs, metadata, opts.privacy.minRowCount, opts.seed);
}

function unsatisfiable(column: string, value: Cell) {
  return synthError(
    "CONDITION_UNSATISFIABLE",
    `column ${column} never takes the value ${JSON.stringify(value)} in the training data`,
    { column, value },
  );
}

function concatTables(tables: Table[], columns: string[]): Table {
  return {
    columns: [...columns],
    data: columns.map((_, j) => tables.flatMap((t) => t.data[j])),
  };
}
