/**
 * TVAE's replica program for data-parallel fits (nn/data-parallel.ts): a copy of the encoder, decoder and
 * Adam, fed its share of each batch by the main thread; it answers with that share's gradient and applies
 * the averaged one, exactly as the main thread does.
 */
import * as tf from "@tensorflow/tfjs";
import { createRng } from "../random.ts";
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
import {
  applyTvaeUpdate,
  buildTvaeNets,
  TVAE_APPLY,
  TVAE_GRAD,
  tvaeGradients,
  tvaeOptimizer,
} from "./tvae.ts";
import { tvaeOptionsSchema } from "./tvae-options.ts";

export function tvaeReplica(init: ReplicaInit): ReplicaProgram {
  const c = parseConfig(tvaeOptionsSchema, init.config, "TVAE");
  const layout = buildLayout(init.columns, init.width);
  // The initial values come from the main thread's weights; this Rng only fills the shapes.
  const { encSet, decSet, nets } = buildTvaeNets(layout, c, createRng(0));
  const { decoder, vars } = nets;
  encSet.import(init.weights[0]);
  decSet.import(init.weights[1]);
  const opt = tvaeOptimizer(vars, c);
  return {
    handle(kind, data) {
      if (kind === TVAE_GRAD) {
        const n = data[0];
        if (n === 0) {
          data.fill(0, 0, gradientFloats(vars, 2));
          return undefined;
        }
        const [x, t, eps] = unpack(data, 1, [n * layout.width, n * layout.softmaxWidth, n * c.embedding_dim]);
        tf.tidy(() => {
          const { values, grads } = tvaeGradients(nets, x, t, eps, n);
          writeGradientReply(data, values, vars, grads);
        });
        return undefined;
      }
      if (kind === TVAE_APPLY) {
        const grads = gradientTensors(data, 2, vars);
        // Answered first: the main thread's next step overlaps this update.
        return () => {
          tf.tidy(() => applyTvaeUpdate(opt, decoder, grads));
          tf.dispose(grads);
        };
      }
      throw new Error(`TVAE replica: unknown command ${kind}`);
    },
    dispose() {
      opt.dispose();
      encSet.dispose();
      decSet.dispose();
    },
  };
}
