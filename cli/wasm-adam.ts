/**
 * The fused Adam kernel (shared/synth/nn/adam.ts ADAM_KERNEL) for tfjs-wasm on Node: native/adam.c on the
 * backend's heap (cli/wasm-heap.ts). One pass over p, g, m, v instead of the op chain's ~15 (a fifth of a
 * small TVAE step, issue 13's profile).
 */
import * as tf from "@tensorflow/tfjs";
import { ADAM_KERNEL, type AdamKernelAttrs } from "../shared/synth/nn/adam.ts";
import { heapOffset, kernelExports, type KernelArgs, type WasmBackendInternals } from "./wasm-heap.ts";

type AdamUpdate = (...args: number[]) => void;

function adamUpdate(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as WasmBackendInternals;
  const a = args.attrs as unknown as AdamKernelAttrs;
  const { p, g, m, v } = args.inputs as Record<"p" | "g" | "m" | "v", tf.TensorInfo>;
  const out = [0, 1, 2].map(() => backend.makeOutput(p.shape, "float32"));
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  const update = kernelExports(backend, "adam").adam_update as AdamUpdate;
  // f32 parameters: each constant is rounded to float32 as the op chain's scalar tensors are.
  update(
    at(p),
    at(g),
    at(m),
    at(v),
    at(out[0]),
    at(out[1]),
    at(out[2]),
    tf.util.sizeFromShape(p.shape),
    a.weightDecay,
    a.beta1,
    1 - a.beta1,
    a.beta2,
    1 - a.beta2,
    a.sqrtBias2,
    a.eps,
    a.stepSize,
  );
  return out;
}

/** Registers the kernel for a tfjs-wasm backend name (idempotent). */
export function registerWasmAdam(backendName: string): void {
  if (tf.getKernel(ADAM_KERNEL, backendName) !== undefined) return;
  tf.registerKernel({ kernelName: ADAM_KERNEL, backendName, kernelFunc: adamUpdate as tf.KernelFunc });
}
