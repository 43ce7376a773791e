/**
 * A training replica's thread (cli/fit-replica.ts): the same tfjs backend as the fit's main thread, then
 * shared/synth/replica.ts's command loop until the main thread says STOP.
 */
import { parentPort, workerData } from "node:worker_threads";
import { serveReplica } from "../shared/synth/replica.ts";
import type { ReplicaInit } from "../shared/synth/nn/data-parallel.ts";
import { initNodeBackend } from "./tf-backend.ts";

const { init } = workerData as { init: ReplicaInit };
const port = parentPort;
if (port === null) throw new Error("fit-replica-worker runs only as a worker thread");
try {
  const info = await initNodeBackend({ backend: init.backend === "cpu" ? "cpu" : "wasm", fallback: false });
  if (info.backend !== init.backend) {
    throw new Error(`the replica runs tfjs ${info.backend}, the fit ${init.backend}`);
  }
  serveReplica(init, {
    onReady: () => port.postMessage("ready"),
    onError: (error) => {
      process.stderr.write(
        `training replica: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    },
  });
} catch (error) {
  port.postMessage({ error: error instanceof Error ? error.message : String(error) });
}
