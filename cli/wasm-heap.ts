/**
 * Our wasm SIMD kernels (native/*.c, built into cli/wasm/ by native/build.sh) on tfjs-wasm's own heap: each
 * module imports the backend's memory (the plain build's exported one, or the threaded build's shared one)
 * and takes tensors as byte offsets into it, so it reads them where they are and writes into outputs the
 * backend allocated. Instantiated once per backend and module.
 */
import { readFileSync } from "node:fs";
import type * as tf from "@tensorflow/tfjs";

/** What the kernels use of tfjs-backend-wasm's BackendWasm (its own JavaScript kernels use the same). */
export interface WasmBackendInternals {
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: "float32" | "int32"): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
}

/** What tfjs hands a kernel function. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: object;
  attrs?: tf.NamedAttrMap;
}

export type KernelModule = "adam" | "span-loss" | "gemm" | "unary";

const compiled = new Map<string, WebAssembly.Module>();
const instances = new WeakMap<object, Map<KernelModule, WebAssembly.Exports>>();

/** The module's exports, instantiated on this backend's memory. */
export function kernelExports(backend: WasmBackendInternals, name: KernelModule): WebAssembly.Exports {
  let perBackend = instances.get(backend);
  if (perBackend === undefined) {
    perBackend = new Map();
    instances.set(backend, perBackend);
  }
  const known = perBackend.get(name);
  if (known !== undefined) return known;
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  if (memory === undefined) throw new Error("the wasm backend's memory is not reachable");
  const file = `${name}${memory.buffer instanceof SharedArrayBuffer ? "-shared" : ""}.wasm`;
  let module = compiled.get(file);
  if (module === undefined) {
    module = new WebAssembly.Module(readFileSync(new URL(`./wasm/${file}`, import.meta.url)));
    compiled.set(file, module);
  }
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  perBackend.set(name, exports);
  return exports;
}

/** A tensor's byte offset in the heap; reading it first moves the tensor here from another backend. */
export function heapOffset(backend: WasmBackendInternals, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}
