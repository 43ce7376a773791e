/**
 * TVAE: the tabular variational autoencoder of Xu et al. (NeurIPS 2019), following the reference
 * sdv-dev/CTGAN ctgan/synthesizers/tvae.py and its defaults: encoder Linear+ReLU (128, 128) to a 128-d
 * Gaussian latent, decoder Linear+ReLU (128, 128) to the data width, a learned per-output sigma (initial
 * 0.1, clamped to [0.01, 1] after each step) for the scalar spans, loss = loss_factor x (Gaussian NLL of
 * the tanh spans + cross-entropy of the softmax spans) / batch + KL / batch, Adam lr 1e-3 with L2 1e-5,
 * batch 500 (shuffled, last partial batch kept), 300 epochs.
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { synthError } from "../errors.ts";
import { createRng, permutation, type Rng } from "../random.ts";
import type {
  ColumnTransformInfo,
  MatrixCondition,
  MatrixFitOptions,
  MatrixModel,
  MatrixModelState,
  TrainingMatrix,
} from "./matrix-model.ts";
import { fitThreadCount } from "./matrix-model.ts";
import { Adam } from "./nn/adam.ts";
import { runEpochs } from "./nn/epochs.ts";
import { initLinear, linear, type LinearParams } from "./nn/layers.ts";
import { buildLayout, fromInternal, spanCrossEntropySum, toInternal, type SpanLayout } from "./nn/layout.ts";
import { ParamSet } from "./nn/params.ts";
import { gradientFloats, ReplicaGroup, shareStarts, splitRows } from "./nn/data-parallel.ts";
import { isPerValueNoise, normalTensor } from "./nn/random.ts";
import { fillNormal } from "./nn/ziggurat.ts";
import { columnsSchema, weightsSchema } from "./nn/state-schema.ts";
import { resolveBatchSize, TVAE_MIN_STEPS_PER_EPOCH } from "./nn/batch.ts";
import { parseConfig, validateMatrix, validateRowCount } from "./nn/validate.ts";

import { tvaeOptionsSchema, type TvaeConfig, type TvaeOptions } from "./tvae-options.ts";

export { tvaeOptionsSchema, type TvaeConfig, type TvaeOptions } from "./tvae-options.ts";

const positiveInt = z.number().int().positive();

const SIGMA_INIT = 0.1;
const SIGMA_MIN = 0.01;
const SIGMA_MAX = 1.0;

// ---------------------------------------------------------------- networks

export interface EncoderParams {
  hidden: LinearParams[];
  mu: LinearParams;
  logvar: LinearParams;
}

export interface DecoderParams {
  hidden: LinearParams[];
  out: LinearParams;
  /** Per output column (internal order); only the tanh columns' entries are used. */
  sigma: tf.Variable;
}

function mlp(
  set: ParamSet,
  prefix: string,
  inDim: number,
  dims: number[],
  rng: Rng,
): [LinearParams[], number] {
  let dim = inDim;
  const layers = dims.map((item, i) => {
    const layer = initLinear(set, `${prefix}${i}`, dim, item, rng);
    dim = item;
    return layer;
  });
  return [layers, dim];
}

export function buildEncoder(
  set: ParamSet,
  dataDim: number,
  dims: number[],
  embedding: number,
  rng: Rng,
): EncoderParams {
  const [hidden, dim] = mlp(set, "encoder.hidden", dataDim, dims, rng);
  return {
    hidden,
    mu: initLinear(set, "encoder.mu", dim, embedding, rng),
    logvar: initLinear(set, "encoder.logvar", dim, embedding, rng),
  };
}

export function buildDecoder(
  set: ParamSet,
  embedding: number,
  dims: number[],
  dataDim: number,
  rng: Rng,
): DecoderParams {
  const [hidden, dim] = mlp(set, "decoder.hidden", embedding, dims, rng);
  const out = initLinear(set, "decoder.out", dim, dataDim, rng);
  return { hidden, out, sigma: set.add("decoder.sigma", tf.fill([dataDim], SIGMA_INIT)) };
}

function relus(x: tf.Tensor2D, layers: LinearParams[]): tf.Tensor2D {
  return layers.reduce((h, layer) => tf.relu(linear(h, layer)), x);
}

export function encode(e: EncoderParams, x: tf.Tensor2D): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
  const h = relus(x, e.hidden);
  return { mu: linear(h, e.mu), logvar: linear(h, e.logvar) };
}

/** Raw decoder output, internal column order. */
export function decode(d: DecoderParams, z: tf.Tensor2D): tf.Tensor2D {
  return linear(relus(z, d.hidden), d.out);
}

// ---------------------------------------------------------------- losses

/**
 * Reference `loss_function`, first term: sum over rows of the Gaussian negative log-likelihood of each
 * tanh column (squared error / 2 sigma^2 + log sigma) plus the cross-entropy of each softmax span,
 * times loss_factor, divided by the batch size.
 */
export function reconstructionLoss(
  recon: tf.Tensor2D,
  real: tf.Tensor2D,
  softTarget: tf.Tensor2D,
  sigma: tf.Tensor1D,
  layout: SpanLayout,
  factor: number,
): tf.Scalar {
  const rows = real.shape[0];
  const parts: tf.Scalar[] = [];
  if (layout.tanhCount > 0) {
    const s = tf.slice(sigma, [0], [layout.tanhCount]);
    const x = tf.slice(real, [0, 0], [rows, layout.tanhCount]);
    const r = tf.tanh(tf.slice(recon, [0, 0], [rows, layout.tanhCount]));
    parts.push(
      tf.sum(tf.div(tf.square(tf.sub(x, r)), tf.mul(tf.square(s), 2))),
      tf.mul(tf.sum(tf.log(s)), rows),
    );
  }
  if (layout.softmaxWidth > 0) parts.push(spanCrossEntropySum(recon, layout, softTarget));
  return tf.mul(tf.addN(parts), factor / rows);
}

/**
 * One training step's loss terms: encode, reparameterise with the noise `eps` (z = mu + eps * sigma),
 * decode, reconstruction loss and KL (bench/nn-profile.ts times this same forward pass).
 */
export function tvaeLoss(
  encoder: EncoderParams,
  decoder: DecoderParams,
  real: tf.Tensor2D,
  target: tf.Tensor2D,
  eps: tf.Tensor2D,
  layout: SpanLayout,
  factor: number,
): { rec: tf.Scalar; kl: tf.Scalar } {
  const { mu, logvar } = encode(encoder, real);
  const z: tf.Tensor2D = tf.add(tf.mul(eps, tf.exp(tf.mul(logvar, 0.5))), mu);
  const rec = reconstructionLoss(
    decode(decoder, z),
    real,
    target,
    decoder.sigma as tf.Tensor1D,
    layout,
    factor,
  );
  return { rec, kl: klDivergence(mu, logvar) };
}

/** KL(q(z|x) || N(0, I)) summed over latent dimensions, averaged over rows. */
export function klDivergence(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Scalar {
  const terms = tf.sub(tf.sub(tf.add(logvar, 1), tf.square(mu)), tf.exp(logvar));
  return tf.div(tf.mul(tf.sum(terms), -0.5), mu.shape[0]);
}

// ---------------------------------------------------------------- one step

/** What a step's gradient needs: the networks, their variables in a fixed order, the layout and config. */
export interface TvaeNets {
  encoder: EncoderParams;
  decoder: DecoderParams;
  vars: tf.Variable[];
  layout: SpanLayout;
  config: TvaeConfig;
}

/** Replica commands (nn/data-parallel.ts; 0 is STOP): a share's gradient, then the averaged update. */
export const TVAE_GRAD = 1;
export const TVAE_APPLY = 2;

/**
 * The gradient of the mean loss over `n` rows (their data, softmax targets and latent noise, row-major),
 * with its reconstruction and KL terms; in the caller's tf.tidy. The one-thread fit, the main thread and
 * every replica all run this same function on their rows.
 */
export function tvaeGradients(
  nets: TvaeNets,
  x: Float32Array,
  t: Float32Array,
  eps: Float32Array,
  n: number,
): { values: number[]; grads: tf.NamedTensorMap } {
  const { layout, config: c } = nets;
  const real = tf.tensor2d(x, [n, layout.width]);
  const target = tf.tensor2d(t, [n, layout.softmaxWidth]);
  const noise = tf.tensor2d(eps, [n, c.embedding_dim]);
  const kept: tf.Scalar[] = [];
  const { grads } = tf.variableGrads(() => {
    const { rec, kl } = tvaeLoss(nets.encoder, nets.decoder, real, target, noise, layout, c.loss_factor);
    kept.push(tf.keep(rec), tf.keep(kl));
    return tf.add(rec, kl);
  }, nets.vars);
  const values = kept.map((k) => (k.dataSync() as Float32Array)[0]);
  for (const k of kept) k.dispose();
  return { values, grads };
}

/** Adam on the (averaged) gradients, then the reference's clamp of the decoder's sigma. */
export function applyTvaeUpdate(opt: Adam, decoder: DecoderParams, grads: tf.NamedTensorMap): void {
  opt.step(grads);
  decoder.sigma.assign(tf.clipByValue(decoder.sigma, SIGMA_MIN, SIGMA_MAX));
}

/** The Adam a TVAE fit trains with (the reference's: lr, betas (0.9, 0.999), L2 as weight decay). */
export function tvaeOptimizer(vars: tf.Variable[], c: TvaeConfig): Adam {
  return new Adam(vars, { lr: c.learning_rate, beta1: 0.9, beta2: 0.999, weightDecay: c.l2scale });
}

/**
 * The encoder and the decoder for a layout and config, in their ParamSets (encoder first: the Rng draws
 * their initial weights in that order). The fit and every replica build them here.
 */
export function buildTvaeNets(
  layout: SpanLayout,
  config: TvaeConfig,
  rng: Rng,
): { encSet: ParamSet; decSet: ParamSet; nets: TvaeNets } {
  const encSet = new ParamSet("tvae.encoder");
  const decSet = new ParamSet("tvae.decoder");
  const encoder = buildEncoder(encSet, layout.width, config.compress_dims, config.embedding_dim, rng);
  const decoder = buildDecoder(decSet, config.embedding_dim, config.decompress_dims, layout.width, rng);
  const vars = [...encSet.trainable, ...decSet.trainable];
  return { encSet, decSet, nets: { encoder, decoder, vars, layout, config } };
}

/** Replicas for a parallel fit, holding copies of the freshly initialised networks; none for one thread. */
async function spawnTvaeReplicas(
  options: MatrixFitOptions,
  nets: TvaeNets,
  batch: number,
  matrix: TrainingMatrix,
  sets: ParamSet[],
): Promise<ReplicaGroup | undefined> {
  const { config, layout, vars } = nets;
  const threads = fitThreadCount(
    options.parallel,
    { epochs: config.epochs, rowsPerEpoch: matrix.rows, width: matrix.width },
    batch,
  );
  if (options.parallel === undefined || threads < 2) return undefined;
  const perRow = layout.width + layout.softmaxWidth + config.embedding_dim;
  const floats = Math.max(1 + Math.ceil(batch / threads) * perRow, gradientFloats(vars, 2));
  return ReplicaGroup.spawn(options.parallel.spawn, threads, floats, {
    kind: "tvae",
    backend: tf.getBackend(),
    config: { ...config, batch_size: batch },
    columns: matrix.columns,
    width: matrix.width,
    weights: sets.map((set) => set.export()),
  });
}

// ---------------------------------------------------------------- model

interface Trained {
  layout: SpanLayout;
  set: ParamSet;
  decoder: DecoderParams;
  epochsTrained: number;
  batchSize: number;
}

export class TVAE implements MatrixModel {
  readonly config: TvaeConfig;
  private trained: Trained | undefined;
  private columns: ColumnTransformInfo[] = [];

  constructor(options: TvaeOptions = {}) {
    this.config = parseConfig(tvaeOptionsSchema, options, "TVAE");
  }

  get epochsTrained(): number {
    return this.trained?.epochsTrained ?? 0;
  }

  /** The batch size the last fit used (the default depends on the training rows); undefined before a fit. */
  get batchSize(): number | undefined {
    return this.trained?.batchSize;
  }

  async fit(matrix: TrainingMatrix, options: MatrixFitOptions): Promise<void> {
    const c = this.config;
    validateMatrix(matrix);
    const layout = buildLayout(matrix.columns, matrix.width);
    const { rng } = options;
    const { rows, width } = matrix;
    const batch = resolveBatchSize(c.batch_size, rows, { model: "TVAE", minSteps: TVAE_MIN_STEPS_PER_EPOCH });
    const internal = toInternal(matrix.data, rows, layout);
    const targets = argmaxTargets(internal, rows, layout);
    this.dispose();
    this.columns = matrix.columns;

    // TVAE's small matmuls lose to the pool's hand-offs (separate processes, A B A B: 1.1-1.25x slower on
    // attrition and credit_data, no faster on Chicago), so its fits run on one intra-op thread, whatever the
    // fit before chose.
    await options.parallel?.intraOp?.(1);
    const { encSet, decSet, nets } = buildTvaeNets(layout, c, rng);
    const { decoder, vars } = nets;
    const opt = tvaeOptimizer(vars, c);
    this.trained = { layout, set: decSet, decoder, epochsTrained: 0, batchSize: batch };
    let order: Uint32Array = new Uint32Array(0);
    let group: ReplicaGroup | undefined;
    const step = (_epoch: number, s: number): Record<string, number> => {
      const idx = order.subarray(s * batch, Math.min((s + 1) * batch, rows));
      const n = idx.length;
      const sw = layout.softmaxWidth;
      const x = new Float32Array(n * width);
      const t = new Float32Array(n * sw);
      idx.forEach((row, i) => {
        x.set(internal.subarray(row * width, (row + 1) * width), i * width);
        t.set(targets.subarray(row * sw, (row + 1) * sw), i * sw);
      });
      // The same draw as normalTensor([n, embedding]), whoever computes which rows.
      const eps = fillNormal(new Float32Array(n * c.embedding_dim), rng);
      const shares = group === undefined ? [n] : splitRows(n, group.threads);
      const starts = shareStarts(shares);
      const rowsOf = (a: Float32Array, per: number, i: number) =>
        a.subarray(starts[i] * per, (starts[i] + shares[i]) * per);
      group?.send(TVAE_GRAD, (i) => [
        shares[i + 1],
        rowsOf(x, width, i + 1),
        rowsOf(t, sw, i + 1),
        rowsOf(eps, c.embedding_dim, i + 1),
      ]);
      let values: number[] = [];
      tf.tidy(() => {
        const own = tvaeGradients(
          nets,
          rowsOf(x, width, 0),
          rowsOf(t, sw, 0),
          rowsOf(eps, c.embedding_dim, 0),
          shares[0],
        );
        const update =
          group === undefined
            ? own
            : group.average(
                own,
                vars,
                shares.map((m) => m / n),
                TVAE_APPLY,
              );
        values = update.values;
        applyTvaeUpdate(opt, decoder, update.grads);
      });
      const [rec, kl] = values;
      return { loss: rec + kl, reconstruction: rec, kl };
    };
    try {
      group = await spawnTvaeReplicas(options, nets, batch, matrix, [encSet, decSet]);
      const result = await runEpochs({
        epochs: c.epochs,
        stepsPerEpoch: Math.ceil(rows / batch),
        beginEpoch: () => {
          order = permutation(rows, rng);
        },
        step,
        onEpoch: options.onEpoch,
        signal: options.signal,
        timeBudgetMs: options.timeBudgetMs,
        now: options.now,
      });
      this.trained.epochsTrained = result.epochsCompleted;
    } catch (error) {
      this.dispose();
      throw error;
    } finally {
      await group?.close();
      opt.dispose();
      encSet.dispose();
    }
  }

  /**
   * Decoded rows: tanh spans get the reference's sigma noise (its inverse_transform draws
   * N(tanh(x), sigma) and clips to [-1, 1]); softmax spans are one-hot at the decoder's argmax.
   * TVAE has no conditional vector, so a condition is left to the caller's rejection sampling.
   */
  async sampleMatrix(rows: number, rng: Rng, _condition?: MatrixCondition): Promise<Float32Array> {
    const t = this.requireTrained();
    validateRowCount(rows);
    const { layout } = t;
    const { width, tanhCount } = layout;
    const batch = t.batchSize;
    const sigma = t.decoder.sigma.dataSync() as Float32Array;
    const out = new Float32Array(rows * width);
    for (let start = 0; start < rows; start += batch) {
      const n = Math.min(batch, rows - start);
      // Read back outside tf.tidy, which would walk a returned Float32Array element by element.
      const decoded = tf.tidy(() => decode(t.decoder, normalTensor([n, this.config.embedding_dim], rng)));
      const raw = decoded.dataSync() as Float32Array;
      decoded.dispose();
      // The sigma noise of the batch in one bulk draw (per value, the Rng's Box-Muller, to measure it).
      const noise = isPerValueNoise() ? null : fillNormal(new Float32Array(n * tanhCount), rng);
      for (let i = 0; i < n; i++) {
        const src = i * width;
        const dst = (start + i) * width;
        for (let j = 0; j < tanhCount; j++) {
          const e = noise === null ? rng.normal() : noise[i * tanhCount + j];
          const v = Math.tanh(raw[src + j]) + sigma[j] * e;
          out[dst + j] = Math.min(1, Math.max(-1, v));
        }
        for (const b of layout.blocks) {
          for (let k = 0; k < b.count; k++) {
            const at = tanhCount + b.start + k * b.size;
            let best = 0;
            for (let j = 1; j < b.size; j++) if (raw[src + at + j] > raw[src + at + best]) best = j;
            out[dst + at + best] = 1;
          }
        }
      }
      if ((start / batch) % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return fromInternal(out, rows, layout);
  }

  getState(): MatrixModelState {
    const t = this.requireTrained();
    return {
      kind: "tvae",
      config: { ...this.config, batch_size: t.batchSize },
      columns: this.columns,
      extra: { width: t.layout.width, epochsTrained: t.epochsTrained },
      weights: t.set.export(),
    };
  }

  static fromState(state: MatrixModelState): TVAE {
    const parsed = tvaeStateSchema.safeParse(state);
    if (!parsed.success) {
      throw synthError("INVALID_ARTIFACT", `Not a TVAE state: ${parsed.error.issues[0]?.message ?? ""}`, {
        issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      });
    }
    const model = new TVAE(parsed.data.config);
    const layout = buildLayout(state.columns, parsed.data.extra.width);
    const set = new ParamSet("tvae.decoder");
    const decoder = buildDecoder(
      set,
      model.config.embedding_dim,
      model.config.decompress_dims,
      layout.width,
      createRng(0),
    );
    set.import(parsed.data.weights);
    model.columns = state.columns;
    model.trained = {
      layout,
      set,
      decoder,
      epochsTrained: parsed.data.extra.epochsTrained,
      // Every artifact holds the batch its fit resolved (older ones always held one: 500 was the default).
      batchSize: model.config.batch_size ?? 500,
    };
    return model;
  }

  dispose(): void {
    this.trained?.set.dispose();
    this.trained = undefined;
  }

  private requireTrained(): Trained {
    if (this.trained === undefined) throw synthError("MODEL_NOT_FITTED", "TVAE has not been fitted");
    return this.trained;
  }
}

const tvaeStateSchema = z.object({
  kind: z.literal("tvae"),
  config: tvaeOptionsSchema,
  columns: columnsSchema,
  extra: z.object({ width: positiveInt, epochsTrained: z.number().int().nonnegative() }),
  weights: weightsSchema,
});

/** One-hot of each softmax span's argmax (the reference's cross_entropy target), internal softmax part. */
function argmaxTargets(internal: Float32Array, rows: number, layout: SpanLayout): Float32Array {
  const { width, tanhCount, softmaxWidth } = layout;
  const out = new Float32Array(rows * softmaxWidth);
  for (let r = 0; r < rows; r++) {
    for (const b of layout.blocks) {
      for (let k = 0; k < b.count; k++) {
        const at = b.start + k * b.size;
        const src = r * width + tanhCount + at;
        let best = 0;
        for (let j = 1; j < b.size; j++) if (internal[src + j] > internal[src + best]) best = j;
        out[r * softmaxWidth + at + best] = 1;
      }
    }
  }
  return out;
}
