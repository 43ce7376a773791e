/**
 * The fused Adam kernel (shared/synth/nn/adam.ts ADAM_KERNEL) for tfjs-wasm on Node: native/adam.c built for
 * wasm SIMD (cli/wasm/*.wasm, native/build.sh), instantiated once per backend on that backend's own memory,
 * so it reads the tensors where they are and writes into outputs the backend allocated. One pass over
 * p, g, m, v instead of the op chain's ~15 (a fifth of a small TVAE step, issue 13's profile).
 */
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { ADAM_KERNEL, type AdamKernelAttrs } from "../shared/synth/nn/adam.ts";

/** What the kernel uses of tfjs-backend-wasm's BackendWasm (its own JavaScript kernels use the same). */
interface WasmBackendInternals {
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
}

type AdamUpdate = (...args: number[]) => void;

const binaries = {
  plain: new URL("./wasm/adam.wasm", import.meta.url),
  shared: new URL("./wasm/adam-shared.wasm", import.meta.url),
};
const modules = new Map<keyof typeof binaries, WebAssembly.Module>();
const instances = new WeakMap<object, AdamUpdate>();

function updateFor(backend: WasmBackendInternals): AdamUpdate {
  const known = instances.get(backend);
  if (known !== undefined) return known;
  // The plain build exports its memory; the threaded build creates a shared one and keeps it on the module.
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  if (memory === undefined) throw new Error("the wasm backend's memory is not reachable");
  const kind = memory.buffer instanceof SharedArrayBuffer ? "shared" : "plain";
  let module = modules.get(kind);
  if (module === undefined) {
    module = new WebAssembly.Module(readFileSync(binaries[kind]));
    modules.set(kind, module);
  }
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const update = instance.exports.adam_update as AdamUpdate;
  instances.set(backend, update);
  return update;
}

function adamUpdate(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: object;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo[] {
  const backend = args.backend as WasmBackendInternals;
  const a = args.attrs as unknown as AdamKernelAttrs;
  const { p, g, m, v } = args.inputs as Record<"p" | "g" | "m" | "v", tf.TensorInfo>;
  const out = [0, 1, 2].map(() => backend.makeOutput(p.shape, "float32"));
  // Reading an input's offset first moves it here if it lives on the other wasm backend.
  const at = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
  // f32 parameters: each constant is rounded to float32 as the op chain's scalar tensors are.
  updateFor(backend)(
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
