/**
 * Puts one of our kernels in front of a tfjs backend's own (BatchMatMul, Exp, Tanh on tfjs-wasm): ours takes
 * the inputs it handles and returns its output, or null to hand them to the original, which keeps its setup
 * function and stays reachable for a backend that copies the wasm backend's kernels.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelArgs } from "./wasm-heap.ts";

const originals = new Map<string, tf.KernelConfig>();

/** Idempotent per kernel and backend. */
export function overrideKernel(
  kernelName: string,
  backendName: string,
  ours: (args: KernelArgs) => tf.TensorInfo | null,
): void {
  const key = `${kernelName}|${backendName}`;
  if (originals.has(key)) return;
  const original = tf.getKernel(kernelName, backendName);
  if (original === undefined) throw new Error(`no ${kernelName} kernel is registered for ${backendName}`);
  originals.set(key, original);
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({
    ...original,
    kernelFunc: ((args: KernelArgs) => ours(args) ?? original.kernelFunc(args as never)) as tf.KernelFunc,
  });
}

/** The backend's own kernel that `overrideKernel` put ours in front of; undefined when it did not. */
export function originalKernel(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  return originals.get(`${kernelName}|${backendName}`);
}
