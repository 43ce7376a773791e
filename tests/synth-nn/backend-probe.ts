/**
 * Run in a fresh process by backend.test.ts (the wasm backend initialises once per process):
 * `tsx backend-probe.ts <mode>` prints the BackendInfo as JSON.
 */
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { wasmBinaryDir } from "../../cli/tf-backend.ts";
import { initBackend } from "../../shared/synth/backend.ts";

const mode = process.argv[2];
try {
  const info =
    mode === "bytes"
      ? await initBackend({
          wasmBinary: readFileSync(`${wasmBinaryDir()}tfjs-backend-wasm-simd.wasm`),
          fallback: false,
        })
      : mode === "missing-fallback"
        ? await initBackend({ wasmPaths: "/nonexistent/wasm/dir/" })
        : await initBackend({ wasmPaths: "/nonexistent/wasm/dir/", fallback: false });
  const sum = tf.tidy(() => tf.sum(tf.matMul(tf.ones([2, 3]), tf.ones([3, 2]))).dataSync()[0]);
  process.stdout.write(`${JSON.stringify({ ...info, active: tf.getBackend(), sum })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: (error as { code?: string }).code ?? String(error) })}\n`);
}
