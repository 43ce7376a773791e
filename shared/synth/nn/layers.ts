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
}

export function initBatchNorm(set: ParamSet, name: string, dim: number): BatchNormParams {
  return { gamma: set.add(`${name}.weight`, tf.ones([dim])), beta: set.add(`${name}.bias`, tf.zeros([dim])) };
}

/**
 * BatchNorm1d in training mode: normalised with the batch's own mean and biased variance, eps 1e-5.
 * The reference CTGAN never switches its generator to eval mode (not even in sample()), so batch statistics
 * are what it trains and samples with; running averages would never be read and are not kept.
 */
export function batchNorm(x: tf.Tensor2D, p: BatchNormParams, eps = 1e-5): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 0);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), p.gamma), p.beta);
}
