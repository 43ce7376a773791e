import { z } from "zod";
import { validationError } from "../errors.ts";
import type { ModelKind } from "../synth/models.ts";

/**
 * Search spaces. A space is an ordered list of named dimensions; a point is a record of their values. The
 * optimiser works in the unit hypercube (as scikit-optimize's Space.transform with "normalize": numeric
 * dimensions scaled to [0, 1], log-uniform ones in log space, categorical ones one-hot), so the GP sees
 * every dimension on the same scale.
 */
const numberBounds = z.tuple([z.number().finite(), z.number().finite()]);
const level = z.union([z.string(), z.number(), z.boolean()]);

export const dimensionSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("int"),
    low: z.number().int(),
    high: z.number().int(),
    log: z.boolean().default(false),
  }),
  z.object({
    type: z.literal("float"),
    low: z.number().finite(),
    high: z.number().finite(),
    log: z.boolean().default(false),
  }),
  z.object({ type: z.literal("categorical"), values: z.array(level).min(1) }),
]);
export type DimensionSpec = z.output<typeof dimensionSchema>;
export type Level = z.infer<typeof level>;
export type Dimension = DimensionSpec & { name: string };

/**
 * A space as users write it: per key, the seed's short form (`[low, high]`: integers when both bounds are
 * integers, else floats, log-uniform when both are positive and span two decades or more, as learning
 * rates do; or a list of levels), or the rich form with an explicit type.
 */
export const spaceInputSchema = z.record(
  z.string().min(1),
  z.union([numberBounds, z.array(level).min(1), dimensionSchema]),
);
export type SpaceInput = z.input<typeof spaceInputSchema>;
export type Params = Record<string, Level>;

export interface SpaceConstraints {
  /** batch_size is snapped to a multiple of this (CTGAN: lcm(pac, 2), the reference asserts both). */
  batchMultiple?: number;
  /** batch_size at most this (the training rows; resolveBatchSize refuses more). */
  maxBatch?: number;
}

export interface Space {
  dimensions: Dimension[];
  constraints: SpaceConstraints;
  /** Width of the encoded (unit hypercube, one-hot) vector. */
  width: number;
}

function shortForm(name: string, value: unknown): DimensionSpec {
  const parsed = dimensionSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "number")) {
    const [low, high] = value as [number, number];
    if (Number.isInteger(low) && Number.isInteger(high)) return { type: "int", low, high, log: false };
    return { type: "float", low, high, log: low > 0 && high / low >= 100 };
  }
  if (Array.isArray(value)) return { type: "categorical", values: value as Level[] };
  throw validationError(
    `search space entry ${name} is neither [low, high], a list of values nor a typed dimension`,
  );
}

export function parseSpace(input: unknown, constraints: SpaceConstraints = {}): Space {
  const raw = spaceInputSchema.safeParse(input);
  if (!raw.success) throw validationError("invalid search space", { issues: raw.error.issues });
  const dimensions: Dimension[] = Object.entries(raw.data).map(([name, v]) => {
    const d = shortForm(name, v);
    if (d.type !== "categorical") {
      if (!(d.low < d.high)) throw validationError(`dimension ${name}: low must be below high`, { name });
      if (d.log && d.low <= 0)
        throw validationError(`dimension ${name}: a log scale needs low > 0`, { name });
    }
    return { ...d, name };
  });
  if (dimensions.length === 0) throw validationError("the search space has no dimensions");
  const width = dimensions.reduce((w, d) => w + (d.type === "categorical" ? d.values.length : 1), 0);
  return { dimensions, constraints, width };
}

/** Which model options a space key sets: `learning_rate` means every learning rate the model has. */
const LEARNING_RATES: Record<ModelKind, readonly string[]> = {
  ctgan: ["generator_lr", "discriminator_lr"],
  tvae: ["learning_rate"],
  gaussian_copula: [],
};

/** The model's options for a point (`learning_rate` expanded; everything else by name). */
export function toModelOptions(model: ModelKind, params: Params): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (k === "learning_rate") {
      const targets = LEARNING_RATES[model];
      if (targets.length === 0) throw validationError(`${model} has no learning rate to tune`, { model });
      for (const t of targets) out[t] = v;
    } else out[k] = v;
  }
  return out;
}

/**
 * Default spaces per model, around the reference defaults (CTGAN/TVAE 300 epochs, batch 500, lr 2e-4 / 1e-3).
 * The Gaussian copula's only options are its two codec switches (copulaOptionsSchema).
 */
export function defaultSpaceInput(model: ModelKind): SpaceInput {
  switch (model) {
    case "ctgan":
      return {
        epochs: [50, 300],
        batch_size: [100, 1000],
        learning_rate: { type: "float", low: 5e-5, high: 2e-3, log: true },
        discriminator_steps: [1, 5],
        embedding_dim: [64, 128, 256],
      };
    case "tvae":
      return {
        epochs: [50, 300],
        batch_size: [100, 1000],
        learning_rate: { type: "float", low: 1e-4, high: 1e-2, log: true },
        loss_factor: { type: "float", low: 0.5, high: 4, log: false },
        embedding_dim: [64, 128, 256],
      };
    case "gaussian_copula":
      return { enforceRounding: [true, false], enforceMinMaxValues: [true, false] };
  }
}

/** The constraints a model puts on its options, given the training rows (and CTGAN's pac, default 10). */
export function modelConstraints(model: ModelKind, rows: number, pac = 10): SpaceConstraints {
  if (model === "ctgan") return { batchMultiple: (pac * 2) / gcd(pac, 2), maxBatch: rows };
  if (model === "tvae") return { maxBatch: rows };
  return {};
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** A point made to satisfy the constraints: batch_size to the nearest multiple, within [multiple, rows]. */
export function snap(space: Space, params: Params): Params {
  const b = params.batch_size;
  if (typeof b !== "number") return params;
  const m = space.constraints.batchMultiple ?? 1;
  const cap = space.constraints.maxBatch ?? Infinity;
  let v = Math.max(m, Math.round(b / m) * m);
  if (v > cap) v = Math.max(m, cap - (cap % m));
  return { ...params, batch_size: v };
}

const clamp01 = (u: number): number => (u < 0 ? 0 : u > 1 ? 1 : u);

/** A dimension's value from a unit coordinate (categorical: the level of the largest one-hot entry). */
export function decodeDimension(d: Dimension, u: ArrayLike<number>, at: number): Level {
  if (d.type === "categorical") {
    let best = 0;
    for (let i = 1; i < d.values.length; i++) if (u[at + i] > u[at + best]) best = i;
    return d.values[best];
  }
  const t = clamp01(u[at]);
  if (d.type === "float")
    return d.log ? Math.exp(Math.log(d.low) + t * Math.log(d.high / d.low)) : d.low + t * (d.high - d.low);
  if (d.log) {
    const v = Math.round(Math.exp(Math.log(d.low) + t * Math.log(d.high / d.low)));
    return Math.min(d.high, Math.max(d.low, v));
  }
  // Integers: [0, 1] cut into high - low + 1 equal cells, so every value is equally likely under a uniform u.
  return Math.min(d.high, d.low + Math.floor(t * (d.high - d.low + 1)));
}

export function encodeDimension(d: Dimension, value: Level, out: Float64Array, at: number): void {
  if (d.type === "categorical") {
    const i = d.values.findIndex((v) => v === value);
    if (i < 0) throw validationError(`${String(value)} is not a level of ${d.name}`, { name: d.name });
    for (let j = 0; j < d.values.length; j++) out[at + j] = j === i ? 1 : 0;
    return;
  }
  if (typeof value !== "number") throw validationError(`${d.name} wants a number`, { name: d.name });
  if (d.type === "int" && !d.log) {
    out[at] = clamp01((value - d.low + 0.5) / (d.high - d.low + 1));
    return;
  }
  out[at] = d.log
    ? clamp01(Math.log(value / d.low) / Math.log(d.high / d.low))
    : clamp01((value - d.low) / (d.high - d.low));
}

/** A point's unit-hypercube vector (one-hot for categorical dimensions), the GP's input. */
export function encode(space: Space, params: Params): Float64Array {
  const out = new Float64Array(space.width);
  let at = 0;
  for (const d of space.dimensions) {
    if (!(d.name in params)) throw validationError(`the point has no value for ${d.name}`, { name: d.name });
    encodeDimension(d, params[d.name], out, at);
    at += d.type === "categorical" ? d.values.length : 1;
  }
  return out;
}

/** The point a unit-hypercube vector stands for, constraints applied. */
export function decode(space: Space, u: ArrayLike<number>): Params {
  const out: Params = {};
  let at = 0;
  for (const d of space.dimensions) {
    out[d.name] = decodeDimension(d, u, at);
    at += d.type === "categorical" ? d.values.length : 1;
  }
  return snap(space, out);
}

/** A stable key for a point, to tell duplicates apart. */
export function pointKey(space: Space, params: Params): string {
  return JSON.stringify(space.dimensions.map((d) => params[d.name]));
}
