/** The few layers CTGAN and TVAE need, as pure functions of explicit parameters (PyTorch semantics). */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../random.ts";
import type { ParamSet } from "./params.ts";
import { uniformArray } from "./random.ts";

export interface LinearParams {
  /** [in, out]: x @ w, so the forward pass never needs a transposed matmul. */
  w: tf.Variable;
  b: tf.Variable;
}

/** torch.nn.Linear's default init: weight and bias U(-1/sqrt(in), 1/sqrt(in)). */
export function initLinear(
  set: ParamSet,
  name: string,
  inDim: number,
  outDim: number,
  rng: Rng,
): LinearParams {
  const bound = 1 / Math.sqrt(inDim);
  return {
    w: set.add(`${name}.weight`, tf.tensor2d(uniformArray(inDim * outDim, bound, rng), [inDim, outDim])),
    b: set.add(`${name}.bias`, tf.tensor1d(uniformArray(outDim, bound, rng))),
  };
}

export function linear(x: tf.Tensor2D, p: LinearParams): tf.Tensor2D {
  return tf.add(tf.matMul(x, p.w as tf.Tensor2D), p.b);
}

export interface BatchNormParams {
  gamma: tf.Variable;
  beta: tf.Variable;
  runningMean: tf.Variable;
  runningVar: tf.Variable;
}

export function initBatchNorm(set: ParamSet, name: string, dim: number): BatchNormParams {
  return {
    gamma: set.add(`${name}.weight`, tf.ones([dim])),
    beta: set.add(`${name}.bias`, tf.zeros([dim])),
    runningMean: set.add(`${name}.running_mean`, tf.zeros([dim]), false),
    runningVar: set.add(`${name}.running_var`, tf.ones([dim]), false),
  };
}

/** torch.nn.BatchNorm1d defaults. */
const BN_EPS = 1e-5;
const BN_MOMENTUM = 0.1;

/**
 * BatchNorm1d. "batch": normalised with the batch's own mean and biased variance (training mode, which the
 * reference CTGAN also samples in: it never calls eval()); with `track`, the running averages are updated
 * as PyTorch does (momentum 0.1, unbiased variance). "running": normalised with those averages (eval mode).
 */
export function batchNorm(
  x: tf.Tensor2D,
  p: BatchNormParams,
  mode: "batch" | "running" = "batch",
  track = false,
): tf.Tensor2D {
  let mean: tf.Tensor = p.runningMean;
  let variance: tf.Tensor = p.runningVar;
  if (mode === "batch") {
    ({ mean, variance } = tf.moments(x, 0));
    if (track) {
      const n = x.shape[0];
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      p.runningMean.assign(tf.add(tf.mul(p.runningMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
      p.runningVar.assign(tf.add(tf.mul(p.runningVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
    }
  }
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BN_EPS))), p.gamma), p.beta);
}
