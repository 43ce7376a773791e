/**
 * Random tensors drawn from the caller's Rng (never tfjs's own global seeding), so the same seed gives
 * byte-identical training and samples on a given backend.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../random.ts";
import { fillNormal } from "./ziggurat.ts";

export function normalTensor(shape: [number, number], rng: Rng): tf.Tensor2D {
  return tf.tensor2d(fillNormal(new Float32Array(shape[0] * shape[1]), rng), shape);
}

/** Uniform in the open interval (0, 1): safe under log. */
function openUniform(rng: Rng): number {
  return (rng.uint32() + 0.5) / 4294967296;
}

/** Standard Gumbel noise -log(-log U), as torch.nn.functional.gumbel_softmax draws it. */
export function gumbelTensor(shape: [number, number], rng: Rng): tf.Tensor2D {
  const out = new Float32Array(shape[0] * shape[1]);
  for (let i = 0; i < out.length; i++) out[i] = -Math.log(-Math.log(openUniform(rng)));
  return tf.tensor2d(out, shape);
}

/** Inverted dropout mask: 0 with probability `rate`, else 1 / (1 - rate) (torch.nn.Dropout in training). */
export function dropoutMask(shape: [number, number], rate: number, rng: Rng): tf.Tensor2D {
  const out = new Float32Array(shape[0] * shape[1]);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < out.length; i++) out[i] = rng.next() < rate ? 0 : keep;
  return tf.tensor2d(out, shape);
}

/** U(-bound, bound) initial values. */
export function uniformArray(n: number, bound: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.next() - 1) * bound;
  return out;
}
