/**
 * tfjs-wasm's BatchMatMul with native/gemm.c for plain float32 products: XNNPACK packs the right operand
 * into its own layout before each product, and in training every right operand is new at every step, so
 * that copy is paid on every call; the kernel reads it where it is. Measured on this machine class for
 * TVAE's and CTGAN's shapes (350-500 rows, 128-495 wide): 1.3-1.7x faster per product, and bit-identical
 * to XNNPACK (both sum each element over k in increasing order with one rounding per multiply and add).
 * Transposed operands (shared/synth/nn/gradients.ts avoids them), other dtypes, ranks above 3 and
 * unequal batches that do not broadcast go to the original kernel, as do products narrower than one
 * SIMD block (n < 4), where the kernel's scalar columns are slower than XNNPACK's.
 */
import * as tf from "@tensorflow/tfjs";
import { overrideKernel } from "./kernel-override.ts";
import { heapOffset, kernelExports, type KernelArgs, type WasmBackendInternals } from "./wasm-heap.ts";

type Gemm = (...args: number[]) => void;

let xnnpackForced = false;
let products = 0;

/** How many products the kernel has computed in this process (the tests' proof that it ran). */
export function gemmProducts(): number {
  return products;
}

/** Sends every product to XNNPACK even where the kernel is registered: the bench's baseline and the tests'. */
export function forceXnnpackMatMul(on: boolean): void {
  xnnpackForced = on;
}

/** [batch, rows, columns] of a rank-2 or rank-3 operand; null for other ranks. */
function asBatches(shape: number[]): [number, number, number] | null {
  if (shape.length === 2) return [1, shape[0], shape[1]];
  if (shape.length === 3) return [shape[0], shape[1], shape[2]];
  return null;
}

function plainProduct(args: KernelArgs): tf.TensorInfo | null {
  const { a, b } = args.inputs as Record<"a" | "b", tf.TensorInfo>;
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  if (xnnpackForced || transposeA || transposeB || a.dtype !== "float32" || b.dtype !== "float32")
    return null;
  const left = asBatches(a.shape);
  const right = asBatches(b.shape);
  if (left === null || right === null) return null;
  const [batchA, m, k] = left;
  const [batchB, kb, n] = right;
  if (kb !== k || n < 4 || (batchA !== batchB && batchA !== 1 && batchB !== 1)) return null;
  const backend = args.backend as WasmBackendInternals;
  const batch = Math.max(batchA, batchB);
  const rank3 = a.shape.length === 3 || b.shape.length === 3;
  const out = backend.makeOutput(rank3 ? [batch, m, n] : [m, n], "float32");
  const gemm = kernelExports(backend, "gemm").gemm as Gemm;
  products++;
  gemm(
    heapOffset(backend, a),
    heapOffset(backend, b),
    heapOffset(backend, out),
    batch,
    m,
    k,
    n,
    batchA === 1 ? 0 : m * k,
    batchB === 1 ? 0 : k * n,
  );
  return out;
}

/** Puts the kernel in front of the backend's BatchMatMul (idempotent); its setup is the original's. */
export function registerWasmMatMul(backendName: string): void {
  overrideKernel(tf.BatchMatMul, backendName, plainProduct);
}
