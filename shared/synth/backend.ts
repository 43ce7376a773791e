/**
 * TensorFlow.js backend setup for the neural synthesizers: the wasm backend (SIMD) by default, tfjs's pure-JS
 * `cpu` backend as the fallback. Runtime-neutral: the caller says where the .wasm binaries are (a directory
 * path or URL prefix, a per-binary map, or the bytes themselves), because only the caller knows how its
 * runtime finds files (Node: node_modules/@tensorflow/tfjs-backend-wasm/dist, see cli/tf-backend.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { z } from "zod";
import { synthError } from "../errors.ts";
import { registerSynthGradients } from "./nn/gradients.ts";

export const WASM_BINARY_NAMES = [
  "tfjs-backend-wasm.wasm",
  "tfjs-backend-wasm-simd.wasm",
  "tfjs-backend-wasm-threaded-simd.wasm",
] as const;

export const backendOptionsSchema = z
  .object({
    backend: z.enum(["wasm", "cpu"]).default("wasm"),
    /** Directory of the .wasm binaries (ending in "/"), or a map binary name -> path/URL. */
    wasmPaths: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
    /** Load binaries with the platform's fetch (Deno file: URLs, browsers) rather than Emscripten's loader. */
    usePlatformFetch: z.boolean().default(false),
    /** The bytes of the SIMD binary (or the plain one on a runtime without SIMD): no file access needed. */
    wasmBinary: z.instanceof(Uint8Array).optional(),
    /** Fall back to the cpu backend if wasm cannot start (logged in the result, never silent). */
    fallback: z.boolean().default(true),
    /** Explicit-transpose BatchMatMul gradient (see nn/gradients.ts); off only to measure it. */
    explicitTransposeMatMul: z.boolean().default(true),
    /** Few-row input gradient as transpose(W·dYᵀ) (see nn/gradients.ts); off only to measure. */
    fewRowInputGradient: z.boolean().default(true),
  })
  .strict();

export type BackendOptions = z.input<typeof backendOptionsSchema>;

export interface BackendInfo {
  backend: "wasm" | "cpu";
  simd: boolean;
  /** Why wasm was not used, when the cpu fallback was taken. */
  fallbackReason?: string;
}

let wasmConfigured = false;

function toDataUrl(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return `data:application/wasm;base64,${btoa(binary)}`;
}

function configureWasm(options: z.output<typeof backendOptionsSchema>): void {
  // setWasmPaths only takes effect before the backend first initialises; later calls would be ignored or throw.
  if (wasmConfigured) return;
  if (options.wasmBinary !== undefined) {
    const url = toDataUrl(options.wasmBinary);
    setWasmPaths(Object.fromEntries(WASM_BINARY_NAMES.map((n) => [n, url])), true);
  } else if (options.wasmPaths !== undefined) {
    setWasmPaths(options.wasmPaths, options.usePlatformFetch);
  }
  wasmConfigured = true;
}

async function trySetBackend(name: string): Promise<string | undefined> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name ? undefined : `tf.setBackend("${name}") returned false`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Selects (and on first use initialises) the backend; idempotent, cheap when nothing changes. */
export async function initBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  const parsed = backendOptionsSchema.parse(options);
  registerSynthGradients({
    explicitTransposeMatMul: parsed.explicitTransposeMatMul,
    fewRowInputGradient: parsed.fewRowInputGradient,
  });
  let fallbackReason: string | undefined;
  if (parsed.backend === "wasm") {
    if (tf.getBackend() === "wasm") return { backend: "wasm", simd: await wasmSimd() };
    configureWasm(parsed);
    fallbackReason = await trySetBackend("wasm");
    if (fallbackReason === undefined) return { backend: "wasm", simd: await wasmSimd() };
    if (!parsed.fallback) {
      throw synthError("CONFIG_ERROR", `The wasm backend could not start: ${fallbackReason}`, {
        backend: "wasm",
      });
    }
  }
  if (tf.getBackend() !== "cpu") {
    const reason = await trySetBackend("cpu");
    if (reason !== undefined) throw synthError("CONFIG_ERROR", `The cpu backend could not start: ${reason}`);
  }
  return fallbackReason === undefined
    ? { backend: "cpu", simd: false }
    : { backend: "cpu", simd: false, fallbackReason };
}

async function wasmSimd(): Promise<boolean> {
  return Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
}
