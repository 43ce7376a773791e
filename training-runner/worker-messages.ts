import type { ErrorCode, ErrorDetails } from "../shared/errors.ts";
import type { ComputeOutput, ComputeProgress, ComputeTask } from "./compute.ts";

/** What the runner's main thread and a compute worker say to each other (structured clone). */
export type ToWorker = { type: "run"; task: ComputeTask } | { type: "abort" };

export type WorkerError =
  | { synth: true; code: ErrorCode; message: string; details: ErrorDetails }
  | { synth: false; message: string; stack?: string };

export type FromWorker =
  | { type: "progress"; progress: ComputeProgress }
  | { type: "done"; output: ComputeOutput }
  | { type: "error"; error: WorkerError };

/**
 * The buffers of the byte arrays in `value` that can move instead of being copied: only those a view owns
 * whole. Node pools small Buffers in one shared ArrayBuffer; transferring that would detach its neighbours.
 */
export function transferablesOf(value: unknown, out: Set<ArrayBuffer> = new Set()): ArrayBuffer[] {
  if (value instanceof Uint8Array) {
    const buffer = value.buffer;
    if (buffer instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === buffer.byteLength) {
      out.add(buffer);
    }
  } else if (typeof value === "object" && value !== null && !(value instanceof Date)) {
    for (const v of Object.values(value)) transferablesOf(v, out);
  }
  return [...out];
}
