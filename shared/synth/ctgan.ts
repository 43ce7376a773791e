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
  MatrixModelState,
  TrainingMatrix,
} from "./matrix-model.ts";
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
import { dropoutMask, gumbelTensor, normalTensor } from "./nn/random.ts";
import { parseConfig, validateMatrix, validateRowCount } from "./nn/validate.ts";
import { columnsSchema, weightsSchema } from "./nn/state-schema.ts";
import { resolveBatchSize } from "./nn/batch.ts";

import { ctganOptionsSchema, type CtganConfig, type CtganOptions } from "./ctgan-options.ts";

export { ctganOptionsSchema, type CtganConfig, type CtganOptions } from "./ctgan-options.ts";

const positiveInt = z.number().int().positive();
/** The config a fit runs with: the batch size resolved for the training rows. */
type FitConfig = CtganConfig & { batch_size: number };

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

    const gSet = new ParamSet("ctgan.generator");
    const dSet = new ParamSet("ctgan.discriminator");
    const generator = buildGenerator(
      gSet,
      c.embedding_dim + layout.condWidth,
      c.generator_dim,
      layout.width,
      rng,
    );
    const critic = buildDiscriminator(dSet, layout.width + layout.condWidth, c.discriminator_dim, c.pac, rng);
    const optG = new Adam(gSet.trainable, {
      lr: c.generator_lr,
      beta1: BETA1,
      beta2: BETA2,
      weightDecay: c.generator_decay,
    });
    const optD = new Adam(dSet.trainable, {
      lr: c.discriminator_lr,
      beta1: BETA1,
      beta2: BETA2,
      weightDecay: c.discriminator_decay,
    });
    const trainer = new Trainer(c, layout, sampler, internal, matrix.rows, generator, critic, rng);
    this.trained = { layout, sampler, set: gSet, generator, epochsTrained: 0, batchSize: batch };
    try {
      const result = await runEpochs({
        epochs: c.epochs,
        stepsPerEpoch: Math.max(Math.floor(matrix.rows / batch), 1),
        step: () => {
          let lossD = 0;
          let penalty = 0;
          for (let n = 0; n < c.discriminator_steps; n++)
            [lossD, penalty] = trainer.criticStep(optD, dSet.trainable);
          const lossG = trainer.generatorStep(optG, gSet.trainable);
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
      optG.dispose();
      optD.dispose();
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

/** One training step's tensors, built from the Rng in a fixed order so runs are reproducible. */
class Trainer {
  private readonly batch: number;

  constructor(
    private readonly c: FitConfig,
    private readonly layout: SpanLayout,
    private readonly sampler: CondSampler,
    private readonly data: Float32Array,
    private readonly rows: number,
    private readonly generator: GeneratorParams,
    private readonly critic: DiscriminatorParams,
    private readonly rng: Rng,
  ) {
    this.batch = c.batch_size;
  }

  private noise(): tf.Tensor2D {
    return normalTensor([this.batch, this.c.embedding_dim], this.rng);
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

  private withCond(x: tf.Tensor2D, c: tf.Tensor2D | null): tf.Tensor2D {
    return c === null ? x : tf.concat([x, c], 1);
  }

  /** One critic update; returns [critic loss, gradient penalty]. */
  criticStep(opt: Adam, vars: tf.Variable[]): [number, number] {
    const B = this.batch;
    const pac = this.c.pac;
    const kept: tf.Tensor[] = [];
    tf.tidy(() => {
      const cond = this.sampler.columns > 0 ? this.sampler.sampleTraining(B, this.rng) : null;
      const { input, c } = this.fakeInput(cond === null ? null : cond.cond);
      const real = this.realBatch(cond);
      const fake = this.withCond(
        activateSpans(generate(this.generator, input, "batch", true), this.layout, this.gumbel(), GUMBEL_TAU),
        c,
      );
      const alphaGroup = Array.from({ length: B / pac }, () => this.rng.next());
      const alpha = tf.tensor2d(
        Float32Array.from({ length: B }, (_, i) => alphaGroup[Math.floor(i / pac)]),
        [B, 1],
      );
      const masks = discriminatorMasks(this.critic, 2 * B, this.rng);
      const penaltyMasks = discriminatorMasks(this.critic, B, this.rng);
      const { grads } = tf.variableGrads(() => {
        // Real and fake through the critic in one pass: no batch statistics in it, so this equals two passes.
        const y = discriminate(this.critic, tf.concat([real, fake], 0), masks);
        const n = B / pac;
        const loss = criticLoss(tf.slice(y, [0, 0], [n, 1]), tf.slice(y, [n, 0], [n, 1]));
        const penalty = gradientPenalty(this.critic, real, fake, alpha, penaltyMasks);
        kept.push(tf.keep(loss), tf.keep(penalty));
        return tf.add(loss, penalty);
      }, vars);
      opt.step(grads);
    });
    const values = kept.map((t) => (t.dataSync() as Float32Array)[0]);
    for (const t of kept) t.dispose();
    return [values[0], values[1]];
  }

  /** One generator update; returns its loss. */
  generatorStep(opt: Adam, vars: tf.Variable[]): number {
    const B = this.batch;
    return tf.tidy(() => {
      const cond = this.sampler.columns > 0 ? this.sampler.sampleTraining(B, this.rng) : null;
      const { input, c } = this.fakeInput(cond === null ? null : cond.cond);
      const gumbel = this.gumbel();
      const masks = discriminatorMasks(this.critic, B, this.rng);
      const target = cond === null ? null : this.condTarget(cond.column, cond.level);
      const { value, grads } = tf.variableGrads(() => {
        const logits = generate(this.generator, input, "batch", true);
        const fake = this.withCond(activateSpans(logits, this.layout, gumbel, GUMBEL_TAU), c);
        return generatorLoss(discriminate(this.critic, fake, masks), logits, this.layout, target);
      }, vars);
      opt.step(grads);
      return (value.dataSync() as Float32Array)[0];
    });
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
