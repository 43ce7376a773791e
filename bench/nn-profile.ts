/**
 * `npm run bench -- nn-profile [--datasets attrition,Chicago] [--steps 6] [--variants default,no-few-row-grad]`:
 * where one CTGAN and one TVAE training step spend their time (issue 13), at the default configuration.
 * - Per phase: the steps of CTGAN's Trainer (shared/synth/ctgan.ts) and TVAE's fit step rebuilt from the
 *   same exported building blocks, each phase timed on its own (wasm kernels run synchronously, so wall
 *   time around them is their cost). A backward pass cannot be timed apart from its forward inside
 *   tf.variableGrads: it is the variableGrads time minus the same forward timed alone.
 * - Per op: tf.profile over real fits (the models' own code) of the same table, kernel times summed by
 *   kernel name and divided by the steps.
 * - XNNPACK's repacking: the critic's first layer's input-gradient shapes timed with a right-hand operand
 *   it has already packed (the cached operator) and with a fresh one.
 * Medians of `--steps` steps after one warm-up step; the machine is shared, so the load average is printed.
 */
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs";
import { initNodeBackend } from "../cli/tf-backend.ts";
import { createRng, permutation, type Rng } from "../shared/random.ts";
import {
  buildDiscriminator,
  buildGenerator,
  criticLoss,
  CTGAN,
  discriminate,
  discriminatorMasks,
  generate,
  generatorLoss,
  gradientPenalty,
} from "../shared/synth/ctgan.ts";
import type { TrainingMatrix } from "../shared/synth/matrix-model.ts";
import { Adam } from "../shared/synth/nn/adam.ts";
import { CondSampler } from "../shared/synth/nn/cond-sampler.ts";
import { activateSpans, buildLayout, toInternal } from "../shared/synth/nn/layout.ts";
import { ParamSet } from "../shared/synth/nn/params.ts";
import { gumbelTensor, normalTensor } from "../shared/synth/nn/random.ts";
import { buildDecoder, buildEncoder, tvaeLoss, TVAE } from "../shared/synth/tvae.ts";
import { arg, median } from "./lib/args.ts";
import { loadDataset } from "./lib/dataset-matrix.ts";

type Phases = Record<string, number>;

/** Runs `f`, adds its milliseconds to `phases[name]`, returns its result. */
function timed<T>(phases: Phases, name: string, f: () => T): T {
  const t0 = performance.now();
  const out = f();
  phases[name] = (phases[name] ?? 0) + performance.now() - t0;
  return out;
}

/** CTGAN at its defaults (batch 500 capped at the rows, pac 10, [256, 256] networks, embedding 128). */
function ctganStepProfiler(matrix: TrainingMatrix, rng: Rng) {
  const layout = buildLayout(matrix.columns, matrix.width);
  const pac = 10;
  const B = Math.min(500, matrix.rows - (matrix.rows % 10));
  const internal = toInternal(matrix.data, matrix.rows, layout);
  const sampler = CondSampler.fromData(layout, internal, matrix.rows, true);
  const gSet = new ParamSet("profile.g");
  const dSet = new ParamSet("profile.d");
  const generator = buildGenerator(gSet, 128 + layout.condWidth, [256, 256], layout.width, rng);
  const critic = buildDiscriminator(dSet, layout.width + layout.condWidth, [256, 256], pac, rng);
  const adam = { lr: 2e-4, beta1: 0.5, beta2: 0.9, weightDecay: 1e-6 };
  const optG = new Adam(gSet.trainable, adam);
  const optD = new Adam(dSet.trainable, adam);
  const fullWidth = layout.width + layout.condWidth;

  const realBatch = (cond: { cond: Float32Array; column: Int32Array; level: Int32Array }): tf.Tensor2D => {
    const out = new Float32Array(B * fullWidth);
    const perm = permutation(B, rng);
    for (let i = 0; i < B; i++) {
      const k = perm[i];
      const row = sampler.rowFor(cond.column[k], cond.level[k], rng);
      out.set(internal.subarray(row * layout.width, (row + 1) * layout.width), i * fullWidth);
      out.set(
        cond.cond.subarray(k * layout.condWidth, (k + 1) * layout.condWidth),
        i * fullWidth + layout.width,
      );
    }
    return tf.tensor2d(out, [B, fullWidth]);
  };

  const step = (p: Phases): void => {
    tf.tidy(() => {
      const cond = timed(p, "cond-vector sampling", () => sampler.sampleTraining(B, rng));
      const { z, c, gumbel, alpha, masks, penaltyMasks } = timed(
        p,
        "noise (z, Gumbel, alpha, dropout)",
        () => {
          const z = normalTensor([B, 128], rng);
          const c = tf.tensor2d(cond.cond, [B, layout.condWidth]);
          const gumbel = gumbelTensor([B, layout.softmaxWidth], rng);
          const groups = Array.from({ length: B / pac }, () => rng.next());
          const alpha = tf.tensor2d(
            Float32Array.from({ length: B }, (_, i) => groups[Math.floor(i / pac)]),
            [B, 1],
          );
          const masks = discriminatorMasks(critic, 2 * B, rng);
          const penaltyMasks = discriminatorMasks(critic, B, rng);
          return { z, c, gumbel, alpha, masks, penaltyMasks };
        },
      );
      const real = timed(p, "data copies (real batch)", () => realBatch(cond));
      const input = tf.concat([z, c], 1);
      const logits = timed(p, "D step: G forward", () => generate(generator, input, "batch", true));
      const fake = timed(p, "D step: span activations", () =>
        tf.concat([activateSpans(logits, layout, gumbel, 0.2), c], 1),
      );
      const criticForward = () => {
        const y = discriminate(critic, tf.concat([real, fake], 0), masks);
        const n = B / pac;
        return criticLoss(tf.slice(y, [0, 0], [n, 1]), tf.slice(y, [n, 0], [n, 1]));
      };
      const penalty = () => gradientPenalty(critic, real, fake, alpha, penaltyMasks);
      tf.tidy(() => timed(p, "D step: D forward", criticForward));
      tf.tidy(() => timed(p, "D step: GP (forward + 1st backward)", penalty));
      const t0 = performance.now();
      const { grads } = tf.variableGrads(() => tf.add(criticForward(), penalty()), dSet.trainable);
      p["D step: backward (incl. GP 2nd order)"] =
        (p["D step: backward (incl. GP 2nd order)"] ?? 0) +
        performance.now() -
        t0 -
        p["D step: D forward"] -
        p["D step: GP (forward + 1st backward)"];
      timed(p, "D step: Adam", () => optD.step(grads));
    });
    tf.tidy(() => {
      const cond = timed(p, "cond-vector sampling", () => sampler.sampleTraining(B, rng));
      const { input, c, gumbel, masks, target } = timed(p, "noise (z, Gumbel, alpha, dropout)", () => {
        const z = normalTensor([B, 128], rng);
        const c = tf.tensor2d(cond.cond, [B, layout.condWidth]);
        const gumbel = gumbelTensor([B, layout.softmaxWidth], rng);
        const masks = discriminatorMasks(critic, B, rng);
        const t = new Float32Array(B * layout.softmaxWidth);
        for (let i = 0; i < B; i++)
          t[i * layout.softmaxWidth + layout.discrete[cond.column[i]].softmaxStart + cond.level[i]] = 1;
        return {
          input: tf.concat([z, c], 1),
          c,
          gumbel,
          masks,
          target: tf.tensor2d(t, [B, layout.softmaxWidth]),
        };
      });
      const forward = () => {
        const logits = generate(generator, input, "batch", true);
        const fake = tf.concat([activateSpans(logits, layout, gumbel, 0.2), c], 1);
        return generatorLoss(discriminate(critic, fake, masks), logits, layout, target);
      };
      tf.tidy(() => timed(p, "G step: forward (G, spans, D, loss)", forward));
      const t0 = performance.now();
      const { grads } = tf.variableGrads(forward, gSet.trainable);
      p["G step: backward"] =
        (p["G step: backward"] ?? 0) + performance.now() - t0 - p["G step: forward (G, spans, D, loss)"];
      timed(p, "G step: Adam", () => optG.step(grads));
    });
  };
  const dispose = () => {
    optG.dispose();
    optD.dispose();
    gSet.dispose();
    dSet.dispose();
  };
  return { step, dispose, shape: { batch: B, width: layout.width, condWidth: layout.condWidth } };
}

/** TVAE at its defaults (batch 500 capped at rows / 10, [128, 128] networks, embedding 128, loss factor 2). */
function tvaeStepProfiler(matrix: TrainingMatrix, rng: Rng) {
  const layout = buildLayout(matrix.columns, matrix.width);
  const { width } = matrix;
  const B = Math.max(1, Math.min(500, Math.floor(matrix.rows / 10)));
  const internal = toInternal(matrix.data, matrix.rows, layout);
  const encSet = new ParamSet("profile.enc");
  const decSet = new ParamSet("profile.dec");
  const encoder = buildEncoder(encSet, width, [128, 128], 128, rng);
  const decoder = buildDecoder(decSet, 128, [128, 128], width, rng);
  const vars = [...encSet.trainable, ...decSet.trainable];
  const opt = new Adam(vars, { lr: 1e-3, beta1: 0.9, beta2: 0.999, weightDecay: 1e-5 });
  const step = (p: Phases): void => {
    tf.tidy(() => {
      const { real, target } = timed(p, "data copies (batch gather + upload)", () => {
        const idx = permutation(matrix.rows, rng).subarray(0, B);
        const x = new Float32Array(B * width);
        idx.forEach((row, i) => x.set(internal.subarray(row * width, (row + 1) * width), i * width));
        // The argmax targets are precomputed per fit in tvae.ts; here the one-hot data stands in (same cost).
        const real = tf.tensor2d(x, [B, width]);
        return { real, target: tf.slice(real, [0, layout.tanhCount], [B, layout.softmaxWidth]) };
      });
      const eps = timed(p, "noise (reparameterisation)", () => normalTensor([B, 128], rng));
      const forward = () => {
        const { rec, kl } = tvaeLoss(encoder, decoder, real, target, eps, layout, 2);
        return tf.add(rec, kl) as tf.Scalar;
      };
      tf.tidy(() => timed(p, "forward (encode, decode, loss)", forward));
      const t0 = performance.now();
      const { grads } = tf.variableGrads(forward, vars);
      p.backward = (p.backward ?? 0) + performance.now() - t0 - p["forward (encode, decode, loss)"];
      timed(p, "Adam (+ sigma clip)", () => {
        opt.step(grads);
        decoder.sigma.assign(tf.clipByValue(decoder.sigma, 0.01, 1));
      });
    });
  };
  const dispose = () => {
    opt.dispose();
    encSet.dispose();
    decSet.dispose();
  };
  return { step, dispose, shape: { batch: B, width, condWidth: 0 } };
}

function phaseMedians(step: (p: Phases) => void, steps: number): Phases {
  step({});
  const runs: Phases[] = [];
  for (let i = 0; i < steps; i++) {
    const p: Phases = {};
    step(p);
    runs.push(p);
  }
  return Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((r) => r[k]))]));
}

/** Kernel milliseconds per step, by kernel name, over a real fit of `epochs` epochs. */
async function opProfile(model: "ctgan" | "tvae", matrix: TrainingMatrix, epochs: number) {
  const m = model === "ctgan" ? new CTGAN({ epochs }) : new TVAE({ epochs });
  const info = await tf.profile(() => m.fit(matrix, { rng: createRng(7) }));
  const steps =
    model === "ctgan"
      ? epochs * Math.max(1, Math.floor(matrix.rows / (m.batchSize as number)))
      : epochs * Math.ceil(matrix.rows / (m.batchSize as number));
  m.dispose();
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const ms = (await k.kernelTimeMs) as number;
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls += 1;
    byKernel.set(k.name, e);
  }
  const total = [...byKernel.values()].reduce((a, e) => a + e.ms, 0);
  return {
    steps,
    kernel_ms_per_step: Number((total / steps).toFixed(2)),
    ops: [...byKernel.entries()]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([name, e]) => ({
        op: name,
        ms_per_step: Number((e.ms / steps).toFixed(2)),
        calls_per_step: Number((e.calls / steps).toFixed(1)),
        share: Number((e.ms / total).toFixed(3)),
      })),
  };
}

/** x [rows, inner] · w [inner, out], w packed once (cached) versus a fresh copy of it every call. */
function packingCost(rows: number, inner: number, out: number, reps: number) {
  const rng = createRng(1);
  const x = normalTensor([rows, inner], rng);
  const w = normalTensor([inner, out], rng);
  tf.dispose(tf.matMul(x, w));
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.dispose(tf.matMul(x, w));
  const cached = (performance.now() - t0) / reps;
  const t1 = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => tf.matMul(x, tf.clone(w)).dispose());
  const fresh = (performance.now() - t1) / reps;
  const t2 = performance.now();
  for (let i = 0; i < reps; i++) tf.tidy(() => tf.clone(w).dispose());
  const copy = (performance.now() - t2) / reps;
  tf.dispose([x, w]);
  return {
    shape: `[${rows}, ${inner}] x [${inner}, ${out}]`,
    cached_ms: Number(cached.toFixed(3)),
    fresh_right_operand_ms: Number((fresh - copy).toFixed(3)),
  };
}

const fmt = (ms: number) => ms.toFixed(1).padStart(7);

function phaseTable(title: string, phases: Phases): string {
  const total = Object.values(phases).reduce((a, b) => a + b, 0);
  const lines = Object.entries(phases).map(
    ([k, v]) => `| ${k} | ${fmt(v)} | ${((100 * v) / total).toFixed(0).padStart(3)}% |`,
  );
  return [
    `${title}`,
    "| phase | ms/step | share |",
    "|---|---:|---:|",
    ...lines,
    `| total | ${fmt(total)} | |`,
  ].join("\n");
}

export async function run(args: string[]): Promise<unknown> {
  const datasets = arg(args, "datasets", "attrition,Chicago").split(",");
  const steps = Number(arg(args, "steps", "6"));
  const variants = arg(args, "variants", "default").split(",");
  const results: unknown[] = [];
  for (const name of datasets) {
    const ds = loadDataset(name);
    for (const variant of variants) {
      await initNodeBackend({ fewRowInputGradient: variant !== "no-few-row-grad" });
      const load = loadavg().map((v) => Number(v.toFixed(2)));
      const ctgan = ctganStepProfiler(ds.matrix, createRng(3));
      const ctganPhases = phaseMedians(ctgan.step, steps);
      ctgan.dispose();
      const tvae = tvaeStepProfiler(ds.matrix, createRng(4));
      const tvaePhases = phaseMedians(tvae.step, steps);
      tvae.dispose();
      const ctganOps = await opProfile("ctgan", ds.matrix, 1);
      const tvaeOps = await opProfile("tvae", ds.matrix, 1);
      const critic = (ds.matrix.width + ctgan.shape.condWidth) * 10;
      const packing = [
        packingCost(ctgan.shape.batch / 10, 256, critic, 20),
        packingCost(ctgan.shape.batch / 10, critic, 256, 20),
      ];
      const row = {
        dataset: name,
        variant,
        rows_fit: ds.matrix.rows,
        width: ds.matrix.width,
        ctgan_shape: ctgan.shape,
        tvae_batch: tvae.shape.batch,
        load_avg: load,
        load_avg_after: loadavg().map((v) => Number(v.toFixed(2))),
        ctgan_phases_ms: Object.fromEntries(
          Object.entries(ctganPhases).map(([k, v]) => [k, Number(v.toFixed(2))]),
        ),
        tvae_phases_ms: Object.fromEntries(
          Object.entries(tvaePhases).map(([k, v]) => [k, Number(v.toFixed(2))]),
        ),
        ctgan_ops: { ...ctganOps, ops: ctganOps.ops.slice(0, 12) },
        tvae_ops: { ...tvaeOps, ops: tvaeOps.ops.slice(0, 12) },
        xnnpack_packing: packing,
      };
      const opLines = (o: typeof ctganOps) =>
        o.ops
          .slice(0, 8)
          .map(
            (e) =>
              `| ${e.op} | ${fmt(e.ms_per_step)} | ${e.calls_per_step} | ${(100 * e.share).toFixed(0)}% |`,
          );
      process.stderr.write(
        [
          `\n## ${name} (${ds.matrix.rows} rows, width ${ds.matrix.width}), variant ${variant}, load ${load.join(" ")}`,
          phaseTable(`CTGAN step (batch ${ctgan.shape.batch}, pac 10)`, ctganPhases),
          phaseTable(`TVAE step (batch ${tvae.shape.batch})`, tvaePhases),
          `CTGAN kernels (real fit, ${ctganOps.kernel_ms_per_step} kernel ms/step)`,
          "| op | ms/step | calls/step | share |",
          "|---|---:|---:|---:|",
          ...opLines(ctganOps),
          `TVAE kernels (real fit, ${tvaeOps.kernel_ms_per_step} kernel ms/step)`,
          "| op | ms/step | calls/step | share |",
          "|---|---:|---:|---:|",
          ...opLines(tvaeOps),
          `XNNPACK packing: ${packing.map((q) => `${q.shape}: ${q.cached_ms} ms cached, ${q.fresh_right_operand_ms} ms with a fresh right operand`).join("; ")}`,
          "",
        ].join("\n"),
      );
      results.push(row);
    }
  }
  return { steps, results };
}
