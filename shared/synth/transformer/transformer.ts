import { z } from "zod";
import { synthError } from "../../errors.ts";
import { permutation } from "../../random.ts";
import type { Rng } from "../../random.ts";
import type { Cell, Table } from "../../data/table.ts";
import { rowCount } from "../../data/table.ts";
import type { TableMetadata } from "../../data/metadata.ts";
import type { ColumnTransformInfo, MatrixCondition, TrainingMatrix } from "../matrix-model.ts";
import { fitBayesianMixture, mixturePosterior, mixtureStateSchema } from "./bayesian-mixture.ts";
import type { MixtureState } from "./bayesian-mixture.ts";
import {
  categoricalCode,
  codecOptionsSchema,
  columnSpecSchema,
  decodeCategorical,
  decodeNumeric,
  encodeCategorical,
  encodeNumeric,
  fitColumnSpecs,
  generateColumn,
} from "./column-codec.ts";
import type { CategoricalSpec, ColumnSpec, NumericSpec } from "./column-codec.ts";

/**
 * The reversible transformer of CTGAN (Xu et al., NeurIPS 2019, section 4.2; the reference's DataTransformer
 * over RDT's ClusterBasedNormalizer and OneHotEncoder): a continuous value becomes alpha = (x - mu_k) / (4
 * sigma_k) clipped to +-0.99 plus the one-hot of a mixture component k sampled from its posterior; a
 * discrete value becomes a one-hot. Beyond the reference: missing numbers get a discrete "missing" column
 * next to the continuous one (so the models learn the rate and its dependence on other columns), ids,
 * free text, personal data and constants are regenerated instead of learned (column-codec.ts).
 *
 * High cardinality: a discrete column keeps a one-hot slot for its `maxCategories` most frequent levels
 * (default 500) and one shared "other" slot; an "other" in a sampled row is replaced by one of the rarer
 * levels drawn by its real frequency. The matrix is thus at most rows x (maxCategories + 1) per column
 * instead of rows x levels, and the rare levels keep their real marginal frequencies.
 */
export const transformerOptionsSchema = codecOptionsSchema.extend({
  maxClusters: z.number().int().min(1).max(50).default(10),
  /** RDT's weight_threshold: components with a smaller expected weight are dropped. */
  weightThreshold: z.number().min(0).max(1).default(0.005),
  weightConcentrationPrior: z.number().positive().default(1e-3),
  maxIter: z.number().int().min(1).default(100),
  maxCategories: z.number().int().min(2).default(500),
  /**
   * The mixture is fitted on at most this many values of a column (a seeded random subsample): the modes
   * of 20 000 values are those of the column, and the fit stays linear in it.
   */
  mixtureSampleSize: z.number().int().min(100).default(20_000),
});
export type TransformerOptions = z.input<typeof transformerOptionsSchema>;

const STD_MULTIPLIER = 4;
const ALPHA_CLIP = 0.99;

const encoderSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("mixture"),
    mixture: mixtureStateSchema,
    /** Indices (into the mixture's components) of those kept, i.e. with weight > weightThreshold. */
    components: z.array(z.number().int().nonnegative()).min(1),
    /** Fill value for missing cells in the continuous part (RDT's from_column fills with the mean). */
    fill: z.number(),
    missingColumn: z.boolean(),
  }),
  z.object({ type: z.literal("onehot"), slots: z.number().int().min(1), other: z.boolean() }),
  z.object({ type: z.literal("none") }),
]);
type Encoder = z.infer<typeof encoderSchema>;

export const transformerStateSchema = z.object({
  version: z.literal(1),
  options: transformerOptionsSchema,
  specs: z.array(columnSpecSchema),
  encoders: z.array(encoderSchema),
});
export type TransformerState = z.infer<typeof transformerStateSchema>;

function subsample(values: Float64Array, size: number, rng: Rng): Float64Array {
  if (values.length <= size) return values;
  const order = permutation(values.length, rng);
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = values[order[i]];
  return out;
}

function fitMixtureEncoder(
  spec: NumericSpec,
  cells: Cell[],
  opts: z.infer<typeof transformerOptionsSchema>,
  rng: Rng,
): Encoder {
  const all = encodeNumeric(spec, cells);
  const present = all.filter((v) => !Number.isNaN(v));
  const sample = subsample(present, opts.mixtureSampleSize, rng);
  const mixture = fitBayesianMixture(sample, rng, {
    maxComponents: Math.min(opts.maxClusters, sample.length),
    weightConcentrationPrior: opts.weightConcentrationPrior,
    maxIter: opts.maxIter,
  });
  let components = mixture.weights.flatMap((w, k) => (w > opts.weightThreshold ? [k] : []));
  if (components.length === 0) {
    const heaviest = mixture.weights.indexOf(Math.max(...mixture.weights));
    components = [heaviest];
  }
  let mean = 0;
  for (const v of present) mean += v;
  return {
    type: "mixture",
    mixture,
    components,
    fill: mean / present.length,
    missingColumn: spec.nullRate > 0,
  };
}

export class DataTransformer {
  readonly state: TransformerState;
  readonly columns: ColumnTransformInfo[];
  readonly width: number;
  /** For each spec, the index of its first entry in `columns` (or -1 when it is not in the matrix). */
  private readonly firstColumn: number[];
  private readonly offsets: number[];

  private constructor(state: TransformerState) {
    this.state = state;
    this.columns = [];
    this.firstColumn = [];
    this.offsets = [];
    let offset = 0;
    state.specs.forEach((spec, s) => {
      const enc = state.encoders[s];
      this.offsets.push(offset);
      if (enc.type === "none") {
        this.firstColumn.push(-1);
        return;
      }
      this.firstColumn.push(this.columns.length);
      if (enc.type === "mixture") {
        const k = enc.components.length;
        this.columns.push({
          column: spec.name,
          kind: "continuous",
          spans: [
            { dim: 1, activation: "tanh" },
            { dim: k, activation: "softmax" },
          ],
        });
        offset += 1 + k;
        if (enc.missingColumn) {
          this.columns.push({
            column: `${spec.name}#missing`,
            kind: "discrete",
            spans: [{ dim: 2, activation: "softmax" }],
          });
          offset += 2;
        }
      } else {
        const dim = enc.slots + (enc.other ? 1 : 0);
        this.columns.push({ column: spec.name, kind: "discrete", spans: [{ dim, activation: "softmax" }] });
        offset += dim;
      }
    });
    this.width = offset;
  }

  static fit(
    table: Table,
    metadata: TableMetadata,
    rng: Rng,
    options: TransformerOptions = {},
  ): DataTransformer {
    const opts = transformerOptionsSchema.parse(options);
    const specs = fitColumnSpecs(table, metadata);
    const encoders = specs.map((spec, j): Encoder => {
      if (spec.kind === "numeric") return fitMixtureEncoder(spec, table.data[j], opts, rng);
      if (spec.kind === "categorical") {
        const levels = spec.levels.length;
        return levels > opts.maxCategories
          ? { type: "onehot", slots: opts.maxCategories, other: true }
          : { type: "onehot", slots: levels, other: false };
      }
      return { type: "none" };
    });
    return new DataTransformer({ version: 1, options: opts, specs, encoders });
  }

  static fromState(raw: unknown): DataTransformer {
    const parsed = transformerStateSchema.safeParse(raw);
    if (!parsed.success) {
      throw synthError("INVALID_ARTIFACT", "the transformer state is invalid", {
        issues: parsed.error.issues.slice(0, 5),
      });
    }
    return new DataTransformer(parsed.data);
  }

  get specs(): ColumnSpec[] {
    return this.state.specs;
  }

  /** Table -> matrix. `rng` samples each value's mixture component from its posterior. */
  transform(table: Table, rng: Rng): TrainingMatrix {
    const rows = rowCount(table);
    const width = this.width;
    const data = new Float32Array(rows * width);
    this.state.specs.forEach((spec, s) => {
      const enc = this.state.encoders[s];
      const j = table.columns.indexOf(spec.name);
      if (enc.type === "none") return;
      if (j < 0) throw synthError("UNKNOWN_COLUMN", `column ${spec.name} is missing`, { column: spec.name });
      const base = this.offsets[s];
      if (enc.type === "mixture")
        this.transformContinuous(spec as NumericSpec, enc, table.data[j], data, base, rng);
      else {
        const codes = encodeCategorical(spec as CategoricalSpec, table.data[j]);
        for (let i = 0; i < rows; i++) data[i * width + base + Math.min(codes[i], enc.slots)] = 1;
      }
    });
    return { data, rows, width, columns: this.columns };
  }

  private transformContinuous(
    spec: NumericSpec,
    enc: Extract<Encoder, { type: "mixture" }>,
    cells: Cell[],
    data: Float32Array,
    base: number,
    rng: Rng,
  ): void {
    const width = this.width;
    const values = encodeNumeric(spec, cells);
    const missing = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      if (Number.isNaN(values[i])) {
        missing[i] = 1;
        values[i] = enc.fill;
      }
    }
    const { means, stds } = enc.mixture;
    const all = means.length;
    const kept = enc.components;
    const k = kept.length;
    const posterior = mixturePosterior(enc.mixture, values);
    const probs = new Float64Array(k);
    for (let i = 0; i < values.length; i++) {
      // RDT: the posterior restricted to the kept components, plus 1e-6, renormalised, then sampled.
      let total = 0;
      for (let c = 0; c < k; c++) {
        probs[c] = posterior[i * all + kept[c]] + 1e-6;
        total += probs[c];
      }
      let u = rng.next() * total;
      let chosen = k - 1;
      for (let c = 0; c < k; c++) {
        u -= probs[c];
        if (u < 0) {
          chosen = c;
          break;
        }
      }
      const comp = kept[chosen];
      const alpha = (values[i] - means[comp]) / (STD_MULTIPLIER * stds[comp]);
      const row = i * width + base;
      data[row] = Math.min(ALPHA_CLIP, Math.max(-ALPHA_CLIP, alpha));
      data[row + 1 + chosen] = 1;
      if (enc.missingColumn) data[row + 1 + k + missing[i]] = 1;
    }
  }

  /**
   * Matrix -> table with every original column in its original order. Discrete spans are read by argmax
   * (the reference's inverse); `rng` draws the rare levels behind an "other" slot and the generated columns.
   */
  inverse(matrix: Float32Array, rows: number, rng: Rng): Table {
    const width = this.width;
    if (matrix.length !== rows * width) {
      throw synthError("VALIDATION_ERROR", `matrix has ${matrix.length} values, expected ${rows} x ${width}`);
    }
    const argmax = (row: number, start: number, dim: number): number => {
      let best = 0;
      let bestV = -Infinity;
      for (let c = 0; c < dim; c++) {
        const v = matrix[row * width + start + c];
        if (v > bestV) {
          bestV = v;
          best = c;
        }
      }
      return best;
    };
    const opts = this.state.options;
    const data = this.state.specs.map((spec, s): Cell[] => {
      const enc = this.state.encoders[s];
      const base = this.offsets[s];
      if (enc.type === "none") {
        if (spec.kind === "generated" || spec.kind === "constant") return generateColumn(spec, rows, rng);
        throw synthError("INTERNAL_ERROR", `column ${spec.name} has no encoder`);
      }
      if (enc.type === "mixture") {
        const k = enc.components.length;
        const values = new Float64Array(rows);
        for (let i = 0; i < rows; i++) {
          if (enc.missingColumn && argmax(i, base + 1 + k, 2) === 1) {
            values[i] = NaN;
            continue;
          }
          const comp = enc.components[argmax(i, base + 1, k)];
          const alpha = Math.min(1, Math.max(-1, matrix[i * width + base]));
          values[i] = alpha * STD_MULTIPLIER * enc.mixture.stds[comp] + enc.mixture.means[comp];
        }
        return decodeNumeric(spec as NumericSpec, values, opts);
      }
      const cat = spec as CategoricalSpec;
      const codes = new Int32Array(rows);
      const tail = enc.other ? cat.counts.slice(enc.slots) : [];
      const tailTotal = tail.reduce((a, b) => a + b, 0);
      for (let i = 0; i < rows; i++) {
        const slot = argmax(i, base, enc.slots + (enc.other ? 1 : 0));
        codes[i] = slot < enc.slots ? slot : enc.slots + drawIndex(tail, tailTotal, rng);
      }
      return decodeCategorical(cat, codes);
    });
    return { columns: this.state.specs.map((s) => s.name), data };
  }

  /** The matrix condition that fixes `column` to `value`, or null if the model cannot condition on it. */
  matrixCondition(column: string, value: Cell): MatrixCondition | null {
    const s = this.state.specs.findIndex((spec) => spec.name === column);
    if (s < 0) return null;
    const spec = this.state.specs[s];
    const enc = this.state.encoders[s];
    if (spec.kind !== "categorical" || enc.type !== "onehot") return null;
    const code = categoricalCode(spec, value);
    if (code < 0 || code >= enc.slots) return null;
    return { columnIndex: this.firstColumn[s], level: code };
  }
}

function drawIndex(weights: number[], total: number, rng: Rng): number {
  let u = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return weights.length - 1;
}

export type { MixtureState };
