/**
 * Random tensors drawn from the caller's Rng (never tfjs's own global seeding), so the same seed gives
 * byte-identical training and samples on a given backend.
 *
 * The bits come in bulk from nn/bits.ts (a local stream seeded from the Rng): CTGAN draws a Gumbel value
 * per softmax output and a dropout decision per critic unit each step, and one Rng call per value, with
 * two Math.log per Gumbel value, made that noise a tenth of a step and most of sampling's JavaScript time.
 * `usePerValueNoise(true)` brings back the previous per-value streams, only to measure the difference.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../random.ts";
import { fillUint32 } from "./bits.ts";
import { fillNormal } from "./ziggurat.ts";

let perValueNoise = false;

/** Measurement only (bench/nn.ts's per-value-noise variant): the per-value Gumbel and dropout streams. */
export function usePerValueNoise(enabled: boolean): void {
  perValueNoise = enabled;
}

export function isPerValueNoise(): boolean {
  return perValueNoise;
}

export function normalTensor(shape: [number, number], rng: Rng): tf.Tensor2D {
  return tf.tensor2d(fillNormal(new Float32Array(shape[0] * shape[1]), rng), shape);
}

/** Uniform in the open interval (0, 1): safe under log. */
function openUniform(rng: Rng): number {
  return (rng.uint32() + 0.5) / 4294967296;
}

/**
 * Standard Gumbel noise -log(-log U), as torch.nn.functional.gumbel_softmax draws it. U = (k + 0.5) / 2^23
 * for a 23-bit k: exact in float32 and never 0 or 1 (at 24 bits the top value rounds to 1, and the noise to
 * infinity), so the Gumbel values reach 16.6 (a 2^-24 tail is cut). The two logs run on the backend.
 */
export function gumbelTensor(shape: [number, number], rng: Rng): tf.Tensor2D {
  const n = shape[0] * shape[1];
  if (perValueNoise) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = -Math.log(-Math.log(openUniform(rng)));
    return tf.tensor2d(out, shape);
  }
  const bits = fillUint32(new Uint32Array(n), rng);
  const u = new Float32Array(n);
  for (let i = 0; i < n; i++) u[i] = ((bits[i] >>> 9) + 0.5) * 2 ** -23;
  return tf.tidy(() => tf.neg(tf.log(tf.neg(tf.log(tf.tensor2d(u, shape))))));
}

/** Inverted dropout mask: 0 with probability `rate`, else 1 / (1 - rate) (torch.nn.Dropout in training). */
export function dropoutMask(shape: [number, number], rate: number, rng: Rng): tf.Tensor2D {
  const out = new Float32Array(shape[0] * shape[1]);
  const keep = 1 / (1 - rate);
  if (perValueNoise) {
    for (let i = 0; i < out.length; i++) out[i] = rng.next() < rate ? 0 : keep;
    return tf.tensor2d(out, shape);
  }
  // u / 2^32 < rate, as Rng.next() < rate would decide it.
  const threshold = rate * 4294967296;
  const bits = fillUint32(new Uint32Array(out.length), rng);
  for (let i = 0; i < out.length; i++) out[i] = bits[i] < threshold ? 0 : keep;
  return tf.tensor2d(out, shape);
}

/** U(-bound, bound) initial values. */
export function uniformArray(n: number, bound: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.next() - 1) * bound;
  return out;
}
