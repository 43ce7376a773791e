/**
 * tfjs-wasm's Exp and Tanh with native/unary.c for float32 tensors: four lanes at a time with Cephes'
 * polynomials instead of libm per element (0.40 → 0.05 ms for an exp of [500, 128]). Within 2 ulp of the
 * exact values, so not bit-identical to tfjs's own (cli/wasm-unary.test.ts measures both against the exact
 * function). Their gradients are tfjs's, from the outputs (dy * y, dy * (1 - y^2)).
 */
import * as tf from "@tensorflow/tfjs";
import { overrideKernel } from "./kernel-override.ts";
import { heapOffset, kernelExports, type KernelArgs, type WasmBackendInternals } from "./wasm-heap.ts";

type Unary = (x: number, y: number, n: number) => void;

let libmForced = false;
let calls = 0;

/** How many tensors our kernels have computed in this process (the tests' proof that they ran). */
export function unaryCalls(): number {
  return calls;
}

/** Sends every Exp and Tanh to tfjs's own kernels even where ours are registered: the bench's baseline. */
export function forceLibmUnary(on: boolean): void {
  libmForced = on;
}

function elementwise(exportName: "exp_f32" | "tanh_f32") {
  return (args: KernelArgs): tf.TensorInfo | null => {
    const { x } = args.inputs as Record<"x", tf.TensorInfo>;
    if (libmForced || x.dtype !== "float32") return null;
    const backend = args.backend as WasmBackendInternals;
    const out = backend.makeOutput(x.shape, "float32");
    const run = kernelExports(backend, "unary")[exportName] as Unary;
    calls++;
    run(heapOffset(backend, x), heapOffset(backend, out), tf.util.sizeFromShape(x.shape));
    return out;
  };
}

/** Puts both kernels in front of the backend's Exp and Tanh (idempotent). */
export function registerWasmUnary(backendName: string): void {
  overrideKernel(tf.Exp, backendName, elementwise("exp_f32"));
  overrideKernel(tf.Tanh, backendName, elementwise("tanh_f32"));
}
