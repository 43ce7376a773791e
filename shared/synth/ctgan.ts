/**
 * CTGAN: conditional tabular GAN (Xu, Skoularidou, Cuesta-Infante, Veeramachaneni, "Modeling Tabular data
 * using Conditional GAN", NeurIPS 2019), following the reference implementation sdv-dev/CTGAN
 * (ctgan/synthesizers/ctgan.py) and its defaults:
 * - generator: residual blocks (Linear, BatchNorm1d, ReLU, output concatenated with the input), then a
 *   Linear to the data width; tanh on scalar spans, Gumbel-softmax (tau 0.2) on softmax spans;
 * - discriminator on "pac" rows concatenated: Linear + LeakyReLU(0.2) + Dropout(0.5) per hidden layer;
 * - WGAN-GP loss (gradient penalty lambda 10 on interpolates, per pac group);
 * - conditional vector with training-by-sampling (log-frequency) and the generator's cross-entropy on the
 *   conditioned discrete column; Adam lr 2e-4, betas (0.5, 0.9), weight decay 1e-6, batch 500, 300 epochs.
 * The networks work on the column order of nn/layout.ts (one softmax per block of equal-size spans).
 * One deliberate difference: a conditional sample (one level fixed for every row) normalises the generator's
 * batch norm with running statistics instead of the batch's own, which would cancel the condition out.
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
  FitSize,
  MatrixModelState,
  TrainingMatrix,
} from "./matrix-model.ts";
import { fitCells, fitThreadCount } from "./matrix-model.ts";
import { Adam } from "./nn/adam.ts";
import { CondSampler } from "./nn/cond-sampler.ts";
import { registerComparisonGradients } from "./nn/gradients.ts";
import { runEpochs } from "./nn/epochs.ts";
import {
  batchNorm,
  initBatchNorm,
  initLinear,
  linear,
  type BatchNormParams,
  type LinearParams,
} from "./nn/layers.ts";
import {
  activateSpans,
  buildLayout,
  fromInternal,
  spanCrossEntropySum,
  toInternal,
  type SpanLayout,
} from "./nn/layout.ts";
import { ParamSet } from "./nn/params.ts";
import { gradientFloats, ReplicaGroup, shareStarts, splitRows } from "./nn/data-parallel.ts";
import { dropoutMask, gumbelTensor, normalTensor } from "./nn/random.ts";
import { parseConfig, validateMatrix, validateRowCount } from "./nn/validate.ts";
import { columnsSchema, weightsSchema } from "./nn/state-schema.ts";
import { resolveBatchSize } from "./nn/batch.ts";

import { ctganOptionsSchema, type CtganConfig, type CtganOptions } from "./ctgan-options.ts";

export { ctganOptionsSchema, type CtganConfig, type CtganOptions } from "./ctgan-options.ts";

const positiveInt = z.number().int().positive();
/** The config a fit runs with: the batch size resolved for the training rows. */
export type FitConfig = CtganConfig & { batch_size: number };

/** Fixed in the reference (not constructor arguments). */
const GUMBEL_TAU = 0.2;
const GP_LAMBDA = 10;
const LEAKY_SLOPE = 0.2;
const DROPOUT = 0.5;
const BETA1 = 0.5;
const BETA2 = 0.9;

// ---------------------------------------------------------------- networks

interface Residual {
  fc: LinearParams;
  bn: BatchNormParams;
}

export interface GeneratorParams {
  residuals: Residual[];
  out: LinearParams;
}

export interface DiscriminatorParams {
  hidden: LinearParams[];
  out: LinearParams;
  pac: number;
}

export function buildGenerator(
  set: ParamSet,
  inDim: number,
  dims: number[],
  dataDim: number,
  rng: Rng,
): GeneratorParams {
  let dim = inDim;
  const residuals = dims.map((item, i) => {
    const block = {
      fc: initLinear(set, `residual${i}.fc`, dim, item, rng),
      bn: initBatchNorm(set, `residual${i}.bn`, item),
    };
    dim += item;
    return block;
  });
  return { residuals, out: initLinear(set, "out", dim, dataDim, rng) };
}

/**
 * Raw generator output (logits for softmax spans, pre-tanh for scalar spans), internal column order.
 * `norm` and `track` as in layers.ts batchNorm.
 */
export function generate(
  g: GeneratorParams,
  input: tf.Tensor2D,
  norm: "batch" | "running" = "batch",
  track = false,
): tf.Tensor2D {
  let h = input;
  for (const r of g.residuals) h = tf.concat([tf.relu(batchNorm(linear(h, r.fc), r.bn, norm, track)), h], 1);
  return linear(h, g.out);
}

export function buildDiscriminator(
  set: ParamSet,
  inDim: number,
  dims: number[],
  pac: number,
  rng: Rng,
): DiscriminatorParams {
  let dim = inDim * pac;
  const hidden = dims.map((item, i) => {
    const layer = initLinear(set, `hidden${i}`, dim, item, rng);
    dim = item;
    return layer;
  });
  return { hidden, out: initLinear(set, "out", dim, 1, rng), pac };
}

/** One dropout mask per hidden layer for `rows` input rows (rows / pac packed rows). */
export function discriminatorMasks(d: DiscriminatorParams, rows: number, rng: Rng): tf.Tensor2D[] {
  return d.hidden.map((layer) => dropoutMask([rows / d.pac, layer.b.shape[0]], DROPOUT, rng));
}

/** Critic scores, one per group of `pac` consecutive rows: [rows / pac, 1]. */
export function discriminate(d: DiscriminatorParams, x: tf.Tensor2D, masks: tf.Tensor2D[]): tf.Tensor2D {
  let h: tf.Tensor2D = tf.reshape(x, [x.shape[0] / d.pac, x.shape[1] * d.pac]);
  d.hidden.forEach((layer, i) => {
    h = tf.mul(tf.leakyRelu(linear(h, layer), LEAKY_SLOPE), masks[i]);
  });
  return linear(h, d.out);
}

// ---------------------------------------------------------------- losses

/** WGAN critic loss: -(E[D(real)] - E[D(fake)]). */
export function criticLoss(yReal: tf.Tensor, yFake: tf.Tensor): tf.Scalar {
  return tf.neg(tf.sub(tf.mean(yReal), tf.mean(yFake))) as tf.Scalar;
}

/**
 * WGAN-GP penalty (Gulrajani et al. 2017) as the reference computes it: one interpolation weight per pac
 * group, the gradient of the critic w.r.t. the interpolates, its norm per pac group, lambda * E[(|g| - 1)^2].
 * Differentiating this w.r.t. the critic's weights is a second-order gradient (see nn/gradients.ts).
 */
export function gradientPenalty(
  d: DiscriminatorParams,
  real: tf.Tensor2D,
  fake: tf.Tensor2D,
  alpha: tf.Tensor2D,
  masks: tf.Tensor2D[],
  lambda = GP_LAMBDA,
): tf.Scalar {
  const interpolates = tf.add(tf.mul(alpha, real), tf.mul(tf.sub(1, alpha), fake));
  const grad = tf.grad((x: tf.Tensor) => tf.sum(discriminate(d, x as tf.Tensor2D, masks)))(interpolates);
  const [rows, width] = real.shape;
  const perGroup = tf.reshape(grad, [rows / d.pac, width * d.pac]);
  const norm = tf.sqrt(tf.sum(tf.square(perGroup), 1));
  return tf.mul(tf.mean(tf.square(tf.sub(norm, 1))), lambda);
}

/** Generator loss: -E[D(fake)] plus the cross-entropy of the conditioned column (reference `_cond_loss`). */
export function generatorLoss(
  yFake: tf.Tensor,
  logits: tf.Tensor2D,
  layout: SpanLayout,
  condTarget: tf.Tensor2D | null,
): tf.Scalar {
  const adversarial = tf.neg(tf.mean(yFake)) as tf.Scalar;
  if (condTarget === null) return adversarial;
  return tf.add(adversarial, tf.div(spanCrossEntropySum(logits, layout, condTarget), logits.shape[0]));
}

// ---------------------------------------------------------------- model

interface Trained {
  layout: SpanLayout;
  sampler: CondSampler;
  set: ParamSet;
  generator: GeneratorParams;
  epochsTrained: number;
  batchSize: number;
}

function findDiscrete(layout: SpanLayout, condition: MatrixCondition): number {
  const index = layout.discrete.findIndex((d) => d.columnIndex === condition.columnIndex);
  if (index < 0) {
    throw synthError(
      "VALIDATION_ERROR",
      "Only a discrete column can be fixed for CTGAN's conditional sampling",
      {
        columnIndex: condition.columnIndex,
      },
    );
  }
  const { dim } = layout.discrete[index];
  if (!Number.isInteger(condition.level) || condition.level < 0 || condition.level >= dim) {
    throw synthError(
      "VALIDATION_ERROR",
      `Level ${condition.level} does not exist in that column (it has ${dim})`,
      {
        columnIndex: condition.columnIndex,
        level: condition.level,
      },
    );
  }
  return index;
}

export class CTGAN implements MatrixModel {
  readonly config: CtganConfig;
  private trained: Trained | undefined;
  private columns: ColumnTransformInfo[] = [];

  constructor(options: CtganOptions = {}) {
    this.config = parseConfig(ctganOptionsSchema, options, "CTGAN");
  }

  /** Epochs actually run by the last fit (fewer than `epochs` if a time budget stopped it). */
  get epochsTrained(): number {
    return this.trained?.epochsTrained ?? 0;
  }

  /** The batch size the last fit used (the default depends on the training rows); undefined before a fit. */
  get batchSize(): number | undefined {
    return this.trained?.batchSize;
  }

  async fit(matrix: TrainingMatrix, options: MatrixFitOptions): Promise<void> {
    if (this.config.batch_size !== undefined && this.config.batch_size % this.config.pac !== 0) {
      throw synthError(
        "INVALID_MODEL_CONFIG",
        `batch_size (${this.config.batch_size}) must be a multiple of pac (${this.config.pac})`,
        {
          batch_size: this.config.batch_size,
          pac: this.config.pac,
        },
      );
    }
    validateMatrix(matrix);
    // The penalty's second-order gradient needs them even if the caller skipped initBackend (idempotent).
    registerComparisonGradients();
    const layout = buildLayout(matrix.columns, matrix.width);
    // The reference also wants an even batch; the default is one (an explicit odd one with pac 1 still runs).
    const batch = resolveBatchSize(this.config.batch_size, matrix.rows, {
      model: "CTGAN",
      multiples: [this.config.pac, 2],
      minSteps: 1,
    });
    const c: FitConfig = { ...this.config, batch_size: batch };
    const { rng } = options;
    const internal = toInternal(matrix.data, matrix.rows, layout);
    const sampler = CondSampler.fromData(layout, internal, matrix.rows, c.log_frequency);
    this.dispose();
    this.columns = matrix.columns;

    const { parallel } = options;
    const size = ctganFitSize(c, matrix);
    const replicas = fitThreadCount(parallel, size, batch / c.pac);
    // Without replicas the fit may take the threads as XNNPACK's pool instead, where the runtime offers it
    // (the bench's intra-op variant; Node's `auto` does not since our own GEMM beats the pool's matmuls,
    // cli/fit-replica.ts).
    if (parallel?.intraOp !== undefined) {
      const pooled = replicas < 2 && fitCells(size) >= (parallel.minIntraOpCells ?? 0);
      await parallel.intraOp(pooled ? parallel.threads : 1);
    }
    const { gSet, dSet, nets } = buildCtganNets(layout, c, rng);
    const { generator } = nets;
    const opts = ctganOptimizers(nets);
    this.trained = { layout, sampler, set: gSet, generator, epochsTrained: 0, batchSize: batch };
    let group: ReplicaGroup | undefined;
    try {
      group = await spawnCtganReplicas(options, replicas, nets, matrix, [gSet, dSet]);
      const trainer = new Trainer(nets, sampler, internal, matrix.rows, rng, group);
      const result = await runEpochs({
        epochs: c.epochs,
        stepsPerEpoch: Math.max(Math.floor(matrix.rows / batch), 1),
        step: () => {
          let lossD = 0;
          let penalty = 0;
          for (let n = 0; n < c.discriminator_steps; n++) [lossD, penalty] = trainer.criticStep(opts.d);
          const lossG = trainer.generatorStep(opts.g);
          return { generator: lossG, discriminator: lossD, gradient_penalty: penalty };
        },
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
      opts.g.dispose();
      opts.d.dispose();
      dSet.dispose();
    }
  }

  async sampleMatrix(rows: number, rng: Rng, condition?: MatrixCondition): Promise<Float32Array> {
    const t = this.requireTrained();
    validateRowCount(rows);
    const fixed = condition === undefined ? undefined : findDiscrete(t.layout, condition);
    const batch = t.batchSize;
    const { layout } = t;
    const steps = Math.ceil(rows / batch);
    const out = new Float32Array(steps * batch * layout.width);
    for (let s = 0; s < steps; s++) {
      // Whole batches, like the reference: unconditional batches are normalised with their own statistics.
      // The batch is read back outside tf.tidy: a tidy returning the Float32Array walks it element by
      // element looking for tensors to keep, which took longer than generating the batch.
      const activated = tf.tidy(() => {
        const z = normalTensor([batch, this.config.embedding_dim], rng);
        let input = z;
        if (layout.condWidth > 0) {
          const cond =
            fixed === undefined
              ? t.sampler.sampleOriginal(batch, rng)
              : t.sampler.fixed(batch, fixed, (condition as MatrixCondition).level);
          input = tf.concat([z, tf.tensor2d(cond, [batch, layout.condWidth])], 1);
        }
        const gumbel = gumbelTensor([batch, layout.softmaxWidth], rng);
        // A fixed condition makes every row of the batch share one conditional vector, which batch
        // statistics would subtract right out again (the reference's conditional sample only nudges its
        // level up for that reason): conditional batches are normalised with the running statistics.
        const norm = fixed === undefined ? "batch" : "running";
        const logits = generate(t.generator, input, norm);
        return activateSpans(logits, layout, gumbel, GUMBEL_TAU);
      });
      out.set(activated.dataSync() as Float32Array, s * batch * layout.width);
      activated.dispose();
      if (s % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return fromInternal(out, rows, layout);
  }

  getState(): MatrixModelState {
    const t = this.requireTrained();
    return {
      kind: "ctgan",
      config: { ...this.config, batch_size: t.batchSize },
      columns: this.columns,
      extra: { width: t.layout.width, levelProbs: t.sampler.levelProbs, epochsTrained: t.epochsTrained },
      weights: t.set.export(),
    };
  }

  static fromState(state: MatrixModelState): CTGAN {
    const parsed = ctganStateSchema.safeParse(state);
    if (!parsed.success) {
      throw synthError("INVALID_ARTIFACT", `Not a CTGAN state: ${parsed.error.issues[0]?.message ?? ""}`, {
        issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      });
    }
    const { extra, weights } = parsed.data;
    const model = new CTGAN(parsed.data.config);
    const layout = buildLayout(state.columns, extra.width);
    if (extra.levelProbs.length !== layout.discrete.length) {
      throw synthError("INVALID_ARTIFACT", "The conditional-vector frequencies do not match the columns");
    }
    const set = new ParamSet("ctgan.generator");
    const generator = buildGenerator(
      set,
      model.config.embedding_dim + layout.condWidth,
      model.config.generator_dim,
      layout.width,
      createRng(0),
    );
    set.import(weights);
    model.columns = state.columns;
    model.trained = {
      layout,
      sampler: new CondSampler(layout, extra.levelProbs),
      set,
      generator,
      epochsTrained: extra.epochsTrained,
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
    if (this.trained === undefined) throw synthError("MODEL_NOT_FITTED", "CTGAN has not been fitted");
    return this.trained;
  }
}

const ctganStateSchema = z.object({
  kind: z.literal("ctgan"),
  config: ctganOptionsSchema,
  columns: columnsSchema,
  extra: z.object({
    width: positiveInt,
    levelProbs: z.array(z.array(z.number().nonnegative())),
    epochsTrained: z.number().int().nonnegative(),
  }),
  weights: weightsSchema,
});

// ---------------------------------------------------------------- one step

/** The networks a step's gradients need, with each one's variables in a fixed order. */
export interface CtganNets {
  generator: GeneratorParams;
  critic: DiscriminatorParams;
  layout: SpanLayout;
  config: FitConfig;
  gVars: tf.Variable[];
  dVars: tf.Variable[];
}

/** One critic update's inputs for some rows (whole pac groups): every random draw already made. */
export interface CriticShare {
  /** Generator input: noise, then the conditional vector. */
  input: tf.Tensor2D;
  /** The conditional vector alone (null when nothing is discrete). */
  c: tf.Tensor2D | null;
  /** Real rows with their conditional vectors. */
  real: tf.Tensor2D;
  gumbel: tf.Tensor2D;
  /** The interpolation weight of each row's pac group, per row: [rows, 1]. */
  alpha: tf.Tensor2D;
  /** Dropout masks for the real groups then the fake groups, and for the penalty's interpolates. */
  masks: tf.Tensor2D[];
  penaltyMasks: tf.Tensor2D[];
}

/** One generator update's inputs for some rows. */
export interface GeneratorShare {
  input: tf.Tensor2D;
  c: tf.Tensor2D | null;
  gumbel: tf.Tensor2D;
  masks: tf.Tensor2D[];
  /** The conditioned levels, one-hot in the softmax part (null when nothing is discrete). */
  target: tf.Tensor2D | null;
}

/** Replica commands (nn/data-parallel.ts; 0 is STOP). */
export const CTGAN_CRITIC_GRAD = 1;
export const CTGAN_CRITIC_APPLY = 2;
export const CTGAN_GENERATOR_GRAD = 3;
export const CTGAN_GENERATOR_APPLY = 4;

const withCond = (x: tf.Tensor2D, c: tf.Tensor2D | null): tf.Tensor2D =>
  c === null ? x : tf.concat([x, c], 1);

/**
 * The critic's gradient over a share's rows, with its loss and penalty; in the caller's tf.tidy. The fake
 * rows are generated here, so a share normalises the generator's batch norm over its own rows.
 */
export function criticGradients(
  nets: CtganNets,
  s: CriticShare,
): { values: number[]; grads: tf.NamedTensorMap } {
  const { generator, critic, layout } = nets;
  const fake = withCond(
    activateSpans(generate(generator, s.input, "batch", true), layout, s.gumbel, GUMBEL_TAU),
    s.c,
  );
  const kept: tf.Scalar[] = [];
  const { grads } = tf.variableGrads(() => {
    // Real and fake through the critic in one pass: no batch statistics in it, so this equals two passes.
    const y = discriminate(critic, tf.concat([s.real, fake], 0), s.masks);
    const n = s.real.shape[0] / critic.pac;
    const loss = criticLoss(tf.slice(y, [0, 0], [n, 1]), tf.slice(y, [n, 0], [n, 1]));
    const penalty = gradientPenalty(critic, s.real, fake, s.alpha, s.penaltyMasks);
    kept.push(tf.keep(loss), tf.keep(penalty));
    return tf.add(loss, penalty);
  }, nets.dVars);
  const values = kept.map((t) => (t.dataSync() as Float32Array)[0]);
  for (const t of kept) t.dispose();
  return { values, grads };
}

/** The generator's gradient over a share's rows, with its loss; in the caller's tf.tidy. */
export function generatorGradients(
  nets: CtganNets,
  s: GeneratorShare,
): { values: number[]; grads: tf.NamedTensorMap } {
  const { generator, critic, layout } = nets;
  const { value, grads } = tf.variableGrads(() => {
    const logits = generate(generator, s.input, "batch", true);
    const fake = withCond(activateSpans(logits, layout, s.gumbel, GUMBEL_TAU), s.c);
    return generatorLoss(discriminate(critic, fake, s.masks), logits, layout, s.target);
  }, nets.gVars);
  return { values: [(value.dataSync() as Float32Array)[0]], grads };
}

/**
 * The generator and the critic for a layout and config, in their ParamSets (generator first: the Rng draws
 * their initial weights in that order). The fit and every replica build them here.
 */
export function buildCtganNets(
  layout: SpanLayout,
  config: FitConfig,
  rng: Rng,
): { gSet: ParamSet; dSet: ParamSet; nets: CtganNets } {
  const gSet = new ParamSet("ctgan.generator");
  const dSet = new ParamSet("ctgan.discriminator");
  const generator = buildGenerator(
    gSet,
    config.embedding_dim + layout.condWidth,
    config.generator_dim,
    layout.width,
    rng,
  );
  const critic = buildDiscriminator(
    dSet,
    layout.width + layout.condWidth,
    config.discriminator_dim,
    config.pac,
    rng,
  );
  const nets = { generator, critic, layout, config, gVars: gSet.trainable, dVars: dSet.trainable };
  return { gSet, dSet, nets };
}

/** The two Adams a CTGAN fit trains with (the reference's betas (0.5, 0.9) and weight decays). */
export function ctganOptimizers(nets: Pick<CtganNets, "config" | "gVars" | "dVars">): { g: Adam; d: Adam } {
  const c = nets.config;
  return {
    g: new Adam(nets.gVars, {
      lr: c.generator_lr,
      beta1: BETA1,
      beta2: BETA2,
      weightDecay: c.generator_decay,
    }),
    d: new Adam(nets.dVars, {
      lr: c.discriminator_lr,
      beta1: BETA1,
      beta2: BETA2,
      weightDecay: c.discriminator_decay,
    }),
  };
}

const rowSlice = (t: tf.Tensor2D, start: number, rows: number): tf.Tensor2D =>
  tf.slice(t, [start, 0], [rows, -1]);

/** The rows [start, start + rows) of a whole-batch critic update (whole pac groups). */
export function criticShareOf(full: CriticShare, start: number, rows: number, pac: number): CriticShare {
  const groups = full.real.shape[0] / pac;
  const [g0, gn] = [start / pac, rows / pac];
  return {
    input: rowSlice(full.input, start, rows),
    c: full.c === null ? null : rowSlice(full.c, start, rows),
    real: rowSlice(full.real, start, rows),
    gumbel: rowSlice(full.gumbel, start, rows),
    alpha: rowSlice(full.alpha, start, rows),
    masks: full.masks.map((m) => tf.concat([rowSlice(m, g0, gn), rowSlice(m, groups + g0, gn)], 0)),
    penaltyMasks: full.penaltyMasks.map((m) => rowSlice(m, g0, gn)),
  };
}

/** The rows [start, start + rows) of a whole-batch generator update. */
export function generatorShareOf(
  full: GeneratorShare,
  start: number,
  rows: number,
  pac: number,
): GeneratorShare {
  return {
    input: rowSlice(full.input, start, rows),
    c: full.c === null ? null : rowSlice(full.c, start, rows),
    gumbel: rowSlice(full.gumbel, start, rows),
    masks: full.masks.map((m) => rowSlice(m, start / pac, rows / pac)),
    target: full.target === null ? null : rowSlice(full.target, start, rows),
  };
}

const flat = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;

/** A replica's payload for a critic share: its row count, then input, real, gumbel, alpha and the masks. */
export function criticPayload(s: CriticShare): (number | Float32Array)[] {
  return [s.real.shape[0], flat(s.input), flat(s.real), flat(s.gumbel), flat(s.alpha)].concat(
    s.masks.map(flat),
    s.penaltyMasks.map(flat),
  );
}

/** A replica's payload for a generator share: its row count, then input, gumbel, the masks and the target. */
export function generatorPayload(s: GeneratorShare): (number | Float32Array)[] {
  return [s.input.shape[0], flat(s.input), flat(s.gumbel)].concat(
    s.masks.map(flat),
    s.target === null ? [] : [flat(s.target)],
  );
}

/** One training step's tensors, built from the Rng in a fixed order so runs are reproducible. */
class Trainer {
  private readonly batch: number;

  constructor(
    private readonly nets: CtganNets,
    private readonly sampler: CondSampler,
    private readonly data: Float32Array,
    private readonly rows: number,
    private readonly rng: Rng,
    private readonly group: ReplicaGroup | undefined,
  ) {
    this.batch = nets.config.batch_size;
  }

  private get layout(): SpanLayout {
    return this.nets.layout;
  }

  private noise(): tf.Tensor2D {
    return normalTensor([this.batch, this.nets.config.embedding_dim], this.rng);
  }

  private gumbel(): tf.Tensor2D {
    return gumbelTensor([this.batch, this.layout.softmaxWidth], this.rng);
  }

  /** Real rows matching the (shuffled) conditions, with those conditions; uniform rows if nothing is discrete. */
  private realBatch(cond: { cond: Float32Array; column: Int32Array; level: Int32Array } | null): tf.Tensor2D {
    const { width, condWidth } = this.layout;
    const B = this.batch;
    const out = new Float32Array(B * (width + condWidth));
    const perm = cond === null ? null : permutation(B, this.rng);
    for (let i = 0; i < B; i++) {
      const k = perm === null ? -1 : perm[i];
      const row =
        cond === null
          ? this.rng.int(this.rows)
          : this.sampler.rowFor(cond.column[k], cond.level[k], this.rng);
      const base = i * (width + condWidth);
      out.set(this.data.subarray(row * width, (row + 1) * width), base);
      if (cond !== null) out.set(cond.cond.subarray(k * condWidth, (k + 1) * condWidth), base + width);
    }
    return tf.tensor2d(out, [B, width + condWidth]);
  }

  private fakeInput(cond: Float32Array | null): { input: tf.Tensor2D; c: tf.Tensor2D | null } {
    const z = this.noise();
    if (cond === null) return { input: z, c: null };
    const c = tf.tensor2d(cond, [this.batch, this.layout.condWidth]);
    return { input: tf.concat([z, c], 1), c };
  }

  /**
   * One step's update: on one thread the whole batch's; otherwise each share's gradient, the main thread's
   * share here while the replicas compute theirs, averaged by rows. Returns the (averaged) loss values.
   */
  private update<S>(
    full: S,
    opt: Adam,
    vars: tf.Variable[],
    commands: [number, number],
    gradients: (nets: CtganNets, share: S) => { values: number[]; grads: tf.NamedTensorMap },
    shareOf: (full: S, start: number, rows: number, pac: number) => S,
    payload: (share: S) => (number | Float32Array)[],
  ): number[] {
    const { group } = this;
    if (group === undefined) {
      const r = gradients(this.nets, full);
      opt.step(r.grads);
      return r.values;
    }
    const pac = this.nets.config.pac;
    const shares = splitRows(this.batch, group.threads, pac);
    const starts = shareStarts(shares);
    group.send(commands[0], (i) => payload(shareOf(full, starts[i + 1], shares[i + 1], pac)));
    const own = gradients(this.nets, shareOf(full, 0, shares[0], pac));
    const u = group.average(
      own,
      vars,
      shares.map((m) => m / this.batch),
      commands[1],
    );
    opt.step(u.grads);
    return u.values;
  }

  /** One critic update; returns [critic loss, gradient penalty]. */
  criticStep(opt: Adam): [number, number] {
    const B = this.batch;
    const { pac } = this.nets.config;
    const { critic, dVars } = this.nets;
    const values = tf.tidy(() => {
      const cond = this.sampler.columns > 0 ? this.sampler.sampleTraining(B, this.rng) : null;
      const { input, c } = this.fakeInput(cond === null ? null : cond.cond);
      const real = this.realBatch(cond);
      const gumbel = this.gumbel();
      const alphaGroup = Array.from({ length: B / pac }, () => this.rng.next());
      const alpha = tf.tensor2d(
        Float32Array.from({ length: B }, (_, i) => alphaGroup[Math.floor(i / pac)]),
        [B, 1],
      );
      const masks = discriminatorMasks(critic, 2 * B, this.rng);
      const penaltyMasks = discriminatorMasks(critic, B, this.rng);
      const full: CriticShare = { input, c, real, gumbel, alpha, masks, penaltyMasks };
      return this.update(
        full,
        opt,
        dVars,
        [CTGAN_CRITIC_GRAD, CTGAN_CRITIC_APPLY],
        criticGradients,
        criticShareOf,
        criticPayload,
      );
    });
    return [values[0], values[1]];
  }

  /** One generator update; returns its loss. */
  generatorStep(opt: Adam): number {
    const B = this.batch;
    const values = tf.tidy(() => {
      const cond = this.sampler.columns > 0 ? this.sampler.sampleTraining(B, this.rng) : null;
      const { input, c } = this.fakeInput(cond === null ? null : cond.cond);
      const gumbel = this.gumbel();
      const masks = discriminatorMasks(this.nets.critic, B, this.rng);
      const target = cond === null ? null : this.condTarget(cond.column, cond.level);
      const full: GeneratorShare = { input, c, gumbel, masks, target };
      return this.update(
        full,
        opt,
        this.nets.gVars,
        [CTGAN_GENERATOR_GRAD, CTGAN_GENERATOR_APPLY],
        generatorGradients,
        generatorShareOf,
        generatorPayload,
      );
    });
    return values[0];
  }

  /** One-hot of each row's conditioned level, placed in the softmax part of the internal layout. */
  private condTarget(column: Int32Array, level: Int32Array): tf.Tensor2D {
    const { softmaxWidth, discrete } = this.layout;
    const out = new Float32Array(this.batch * softmaxWidth);
    for (let i = 0; i < this.batch; i++)
      out[i * softmaxWidth + discrete[column[i]].softmaxStart + level[i]] = 1;
    return tf.tensor2d(out, [this.batch, softmaxWidth]);
  }
}

/** Floats a CTGAN replica's channel needs: the largest share payload or gradient reply. */
function ctganChannelFloats(nets: CtganNets, shareRows: number): number {
  const { layout, config: c, critic } = nets;
  const groups = shareRows / c.pac;
  const maskUnits = critic.hidden.reduce((sum, l) => sum + l.b.shape[0], 0);
  const inputWidth = c.embedding_dim + layout.condWidth;
  const critic_ =
    1 +
    shareRows * (inputWidth + layout.width + layout.condWidth + layout.softmaxWidth + 1) +
    3 * groups * maskUnits;
  const generator_ = 1 + shareRows * (inputWidth + 2 * layout.softmaxWidth) + groups * maskUnits;
  return Math.max(critic_, generator_, gradientFloats(nets.dVars, 2), gradientFloats(nets.gVars, 1));
}

/** A fit's size as the thread choice sees it (its steps draw whole batches). */
function ctganFitSize(c: FitConfig, matrix: TrainingMatrix): FitSize {
  const steps = Math.max(Math.floor(matrix.rows / c.batch_size), 1);
  return { epochs: c.epochs, rowsPerEpoch: steps * c.batch_size, width: matrix.width };
}

/** Replicas for a parallel fit, holding copies of the freshly initialised networks; none for one thread. */
async function spawnCtganReplicas(
  options: MatrixFitOptions,
  threads: number,
  nets: CtganNets,
  matrix: TrainingMatrix,
  sets: ParamSet[],
): Promise<ReplicaGroup | undefined> {
  if (options.parallel === undefined || threads < 2) return undefined;
  const { batch_size: batch, pac } = nets.config;
  const groups = batch / pac;
  const shareRows = Math.ceil(groups / threads) * pac;
  return ReplicaGroup.spawn(options.parallel.spawn, threads, ctganChannelFloats(nets, shareRows), {
    kind: "ctgan",
    backend: tf.getBackend(),
    config: nets.config,
    columns: matrix.columns,
    width: matrix.width,
    weights: sets.map((set) => set.export()),
  });
}
