/**
 * The fused span cross-entropy (shared/synth/nn/layout.ts SPAN_CE_KERNEL and its gradient) for tfjs-wasm
 * on Node: native/span-loss.c on the backend's heap (cli/wasm-heap.ts), one pass each way instead of the
 * op chain's slices, reshapes, log-softmaxes, concat, product and sum and their gradients.
 */
import * as tf from "@tensorflow/tfjs";
import {
  SPAN_CE_GRAD_KERNEL,
  SPAN_CE_KERNEL,
  type SpanCrossEntropyAttrs,
} from "../shared/synth/nn/layout.ts";
import { heapOffset, kernelExports, type KernelArgs, type WasmBackendInternals } from "./wasm-heap.ts";

type Kernel = (...args: number[]) => number;

/** Runs `use` with the span widths in a scratch int32 buffer on the heap, freed after. */
function withSizes<T>(backend: WasmBackendInternals, sizes: number[], use: (at: number) => T): T {
  const buffer = backend.makeOutput([sizes.length], "int32");
  try {
    new Int32Array(heapView(backend, buffer).buffer, heapOffset(backend, buffer), sizes.length).set(sizes);
    return use(heapOffset(backend, buffer));
  } finally {
    backend.disposeData(buffer.dataId);
  }
}

/** Both kernels' arguments after their three tensors: rows, width, offset, sw, the sizes and their count. */
function layoutArgs(a: SpanCrossEntropyAttrs, rows: number, sw: number, sizes: number): number[] {
  return [rows, a.width, a.offset, sw, sizes, a.sizes.length];
}

function heapView(backend: WasmBackendInternals, t: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t);
}

function forward({ inputs, backend: b, attrs }: KernelArgs): tf.TensorInfo[] {
  const backend = b as WasmBackendInternals;
  const a = attrs as unknown as SpanCrossEntropyAttrs;
  const { logits, target } = inputs as Record<"logits" | "target", tf.TensorInfo>;
  const [rows] = logits.shape;
  const sw = target.shape[1];
  // The kernel trusts these sizes to stay inside the tensors it reads on the heap.
  const spans = a.sizes.reduce((x, y) => x + y, 0);
  if (target.shape[0] !== rows || logits.shape[1] !== a.width || spans !== sw || a.offset + sw > a.width) {
    throw new Error(
      `${SPAN_CE_KERNEL}: logits [${logits.shape}] and target [${target.shape}] do not fit spans of ` +
        `${spans} columns from column ${a.offset}`,
    );
  }
  const loss = backend.makeOutput([], "float32");
  const soft = backend.makeOutput([rows, sw], "float32");
  const run = kernelExports(backend, "span-loss").span_ce_forward as Kernel;
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  const value = withSizes(backend, a.sizes, (sizes) =>
    run(at(logits), at(target), at(soft), ...layoutArgs(a, rows, sw, sizes)),
  );
  heapView(backend, loss)[0] = value;
  return [loss, soft];
}

function gradient({ inputs, backend: b, attrs }: KernelArgs): tf.TensorInfo {
  const backend = b as WasmBackendInternals;
  const a = attrs as unknown as SpanCrossEntropyAttrs;
  const { dy, soft, target } = inputs as Record<"dy" | "soft" | "target", tf.TensorInfo>;
  const [rows, sw] = soft.shape;
  const grad = backend.makeOutput([rows, a.width], "float32");
  const dyValue = heapView(backend, dy)[0];
  const run = kernelExports(backend, "span-loss").span_ce_backward as Kernel;
  const at = (t: tf.TensorInfo) => heapOffset(backend, t);
  withSizes(backend, a.sizes, (sizes) =>
    run(at(soft), at(target), at(grad), ...layoutArgs(a, rows, sw, sizes), dyValue),
  );
  return grad;
}

/** Registers both kernels for a tfjs-wasm backend name (idempotent). */
export function registerWasmSpanLoss(backendName: string): void {
  if (tf.getKernel(SPAN_CE_KERNEL, backendName) === undefined) {
    tf.registerKernel({ kernelName: SPAN_CE_KERNEL, backendName, kernelFunc: forward as tf.KernelFunc });
  }
  if (tf.getKernel(SPAN_CE_GRAD_KERNEL, backendName) === undefined) {
    tf.registerKernel({
      kernelName: SPAN_CE_GRAD_KERNEL,
      backendName,
      kernelFunc: gradient as tf.KernelFunc,
    });
  }
}
