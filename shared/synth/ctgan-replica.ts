/**
 * CTGAN's replica program for data-parallel fits (nn/data-parallel.ts): a copy of the generator, the critic
 * and both Adams, fed its share of each critic and generator update by the main thread (every random draw
 * already made there); it answers with that share's gradient and applies the averaged one.
 */
import * as tf from "@tensorflow/tfjs";
import { createRng } from "../random.ts";
import {
  buildCtganNets,
  CTGAN_CRITIC_APPLY,
  CTGAN_CRITIC_GRAD,
  CTGAN_GENERATOR_APPLY,
  CTGAN_GENERATOR_GRAD,
  criticGradients,
  ctganOptimizers,
  generatorGradients,
  type FitConfig,
} from "./ctgan.ts";
import { ctganOptionsSchema } from "./ctgan-options.ts";
import {
  gradientFloats,
  gradientTensors,
  unpack,
  writeGradientReply,
  type ReplicaInit,
} from "./nn/data-parallel.ts";
import { buildLayout } from "./nn/layout.ts";
import { parseConfig } from "./nn/validate.ts";
import type { ReplicaProgram } from "./replica.ts";

export function ctganReplica(init: ReplicaInit): ReplicaProgram {
  const config = parseConfig(ctganOptionsSchema, init.config, "CTGAN") as FitConfig;
  const layout = buildLayout(init.columns, init.width);
  // The initial values come from the main thread's weights; this Rng only fills the shapes.
  const { gSet, dSet, nets } = buildCtganNets(layout, config, createRng(0));
  const { critic } = nets;
  const inputWidth = config.embedding_dim + layout.condWidth;
  gSet.import(init.weights[0]);
  dSet.import(init.weights[1]);
  const opts = ctganOptimizers(nets);
  const units = critic.hidden.map((l) => l.b.shape[0]);
  const realWidth = layout.width + layout.condWidth;
  const condOf = (input: tf.Tensor2D, rows: number): tf.Tensor2D | null =>
    layout.condWidth === 0 ? null : tf.slice(input, [0, config.embedding_dim], [rows, layout.condWidth]);

  const critic_ = (data: Float32Array): void => {
    const rows = data[0];
    const groups = rows / config.pac;
    const arrays = unpack(
      data,
      1,
      [rows * inputWidth, rows * realWidth, rows * layout.softmaxWidth, rows].concat(
        units.map((u) => 2 * groups * u),
        units.map((u) => groups * u),
      ),
    );
    const [input, real, gumbel, alpha] = [
      tf.tensor2d(arrays[0], [rows, inputWidth]),
      tf.tensor2d(arrays[1], [rows, realWidth]),
      tf.tensor2d(arrays[2], [rows, layout.softmaxWidth]),
      tf.tensor2d(arrays[3], [rows, 1]),
    ];
    const masks = units.map((u, l) => tf.tensor2d(arrays[4 + l], [2 * groups, u]));
    const penaltyMasks = units.map((u, l) => tf.tensor2d(arrays[4 + units.length + l], [groups, u]));
    const share = { input, c: condOf(input, rows), real, gumbel, alpha, masks, penaltyMasks };
    const { values, grads } = criticGradients(nets, share);
    writeGradientReply(data, values, nets.dVars, grads);
  };

  const generator_ = (data: Float32Array): void => {
    const rows = data[0];
    const groups = rows / config.pac;
    const sizes = [rows * inputWidth, rows * layout.softmaxWidth].concat(units.map((u) => groups * u));
    if (layout.condWidth > 0) sizes.push(rows * layout.softmaxWidth);
    const arrays = unpack(data, 1, sizes);
    const input = tf.tensor2d(arrays[0], [rows, inputWidth]);
    const share = {
      input,
      c: condOf(input, rows),
      gumbel: tf.tensor2d(arrays[1], [rows, layout.softmaxWidth]),
      masks: units.map((u, l) => tf.tensor2d(arrays[2 + l], [groups, u])),
      target:
        layout.condWidth > 0 ? tf.tensor2d(arrays[2 + units.length], [rows, layout.softmaxWidth]) : null,
    };
    const { values, grads } = generatorGradients(nets, share);
    writeGradientReply(data, values, nets.gVars, grads);
  };

  const apply = (data: Float32Array, opt: typeof opts.g, vars: tf.Variable[], values: number) => {
    const grads = gradientTensors(data, values, vars);
    // Answered first: the main thread's next draw overlaps this update.
    return () => {
      tf.tidy(() => opt.step(grads));
      tf.dispose(grads);
    };
  };

  return {
    handle(kind, data) {
      switch (kind) {
        case CTGAN_CRITIC_GRAD:
          if (data[0] === 0) data.fill(0, 0, gradientFloats(nets.dVars, 2));
          else tf.tidy(() => critic_(data));
          return undefined;
        case CTGAN_GENERATOR_GRAD:
          if (data[0] === 0) data.fill(0, 0, gradientFloats(nets.gVars, 1));
          else tf.tidy(() => generator_(data));
          return undefined;
        case CTGAN_CRITIC_APPLY:
          return apply(data, opts.d, nets.dVars, 2);
        case CTGAN_GENERATOR_APPLY:
          return apply(data, opts.g, nets.gVars, 1);
        default:
          throw new Error(`CTGAN replica: unknown command ${kind}`);
      }
    },
    dispose() {
      opts.g.dispose();
      opts.d.dispose();
      gSet.dispose();
      dSet.dispose();
    },
  };
}
