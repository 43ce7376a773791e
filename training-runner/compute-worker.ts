/**
 * The worker-thread side of job-thread.ts: receives one task, runs it (compute.ts) with an AbortSignal the
 * parent controls, posts progress, then the result (its buffers transferred, not copied) or the error.
 */
import { parentPort } from "node:worker_threads";
import { isSynthError } from "../shared/errors.ts";
import { runCompute, type ComputeTask } from "./compute.ts";
import { transferablesOf, type ToWorker, type FromWorker } from "./worker-messages.ts";

const port = parentPort;
if (port === null) throw new Error("compute-worker.ts runs only as a worker thread");

const abort = new AbortController();
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

async function run(task: ComputeTask): Promise<void> {
  try {
    const output = await runCompute(task, {
      signal: abort.signal,
      onProgress: (progress) => post({ type: "progress", progress }),
    });
    post({ type: "done", output }, transferablesOf(output));
  } catch (error) {
    post({
      type: "error",
      error: isSynthError(error)
        ? { synth: true, ...error.toJSON() }
        : {
            synth: false,
            message: error instanceof Error ? error.message : String(error),
            stack: error instanceof Error ? error.stack : undefined,
          },
    });
  }
}

port.on("message", (message: ToWorker) => {
  if (message.type === "abort") abort.abort();
  else if (message.type === "run") void run(message.task);
});
