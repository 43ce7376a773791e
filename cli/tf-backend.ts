/**
 * Node entry to the tfjs backend setup of shared/synth/backend.ts: finds the wasm binaries where npm put
 * them (node_modules/@tensorflow/tfjs-backend-wasm/dist), which shared/ cannot do (no node: modules there).
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { initBackend, type BackendInfo, type BackendOptions } from "../shared/synth/backend.ts";
import { registerWasmAdam } from "./wasm-adam.ts";
import { registerWasmMatMul } from "./wasm-matmul.ts";
import { registerWasmSpanLoss } from "./wasm-span-loss.ts";
import { registerWasmUnary } from "./wasm-unary.ts";

export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  return `${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`;
}

/** wasm (SIMD) unless `backend: "cpu"`, falling back to cpu if wasm cannot start; with our fused kernels. */
export function initNodeBackend(
  options: Omit<BackendOptions, "wasmPaths" | "wasmBinary"> = {},
): Promise<BackendInfo> {
  registerWasmAdam("wasm");
  registerWasmSpanLoss("wasm");
  registerWasmMatMul("wasm");
  registerWasmUnary("wasm");
  return initBackend({ ...options, wasmPaths: wasmBinaryDir() });
}
