/**
 * Intra-op threads for the neural fits on Node: tfjs-wasm's threaded SIMD build, whose XNNPACK operators
 * (matmuls, binary ops) split their work over a pthreadpool. tfjs turns the build off on Node
 * (WASM_HAS_MULTITHREAD_SUPPORT is false there: tensorflow/tfjs#3830) because its loader hands the pthread
 * workers Blob URLs, which Node's worker_threads cannot load; here the Emscripten module is created with file
 * paths instead (its workers run their script from memory) and registered as a second backend,
 * `wasm-threads`, running the wasm backend's own kernels. A fit picks its backend (`selectIntraOpThreads`),
 * so the one-thread `wasm` backend stays as it was and the two can be switched between fits: tfjs moves a
 * tensor's data to the active backend when a kernel first reads it.
 *
 * XNNPACK splits a matmul's output tiles over the threads and each tile is summed in the same order, so a fit
 * is bit-identical on one and two intra-op threads (cli/tf-wasm-threads.test.ts checks a CTGAN fit).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Worker, WorkerOptions } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { BackendWasm, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { registerWasmAdam } from "./wasm-adam.ts";
import { originalKernel } from "./kernel-override.ts";
import { registerWasmSpanLoss } from "./wasm-span-loss.ts";

export const THREADED_BACKEND = "wasm-threads";

/** The Emscripten factory's module, as far as this file uses it. */
interface EmscriptenModule {
  cwrap(name: string, returns: string | null, args: string[]): (...args: number[]) => unknown;
  tfjs?: unknown;
  PThread: { runningWorkers: { unref(): void }[] };
}
type EmscriptenFactory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

let registeredThreads = 0;
let failure: string | undefined;

function threadedFiles(): { factoryPath: string; wasmPath: string; workerContents: string } {
  const require = createRequire(import.meta.url);
  const pkg = dirname(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")));
  const worker = require(join(pkg, "wasm-out/tfjs-backend-wasm-threaded-simd.worker.js")) as {
    wasmWorkerContents: string;
  };
  return {
    factoryPath: join(pkg, "wasm-out/tfjs-backend-wasm-threaded-simd.js"),
    wasmPath: join(pkg, "dist/tfjs-backend-wasm-threaded-simd.wasm"),
    // tfjs escapes the newlines inside its string literals before making a Blob of it; so must we.
    workerContents: worker.wasmWorkerContents.replace(/\n/g, "\\n"),
  };
}

/**
 * Runs `create` with worker_threads' Worker replaced by one that runs the pthread worker's script itself
 * (`eval`), whatever file it is asked for, as a plain Node worker. Emscripten takes the class once, inside
 * the factory call (it starts its pool of 8 workers there, and keeps the class for any later one), so no
 * script is ever written to disk for another process to swap, and no worker inherits the process's
 * execArgv: under tsx each would load the TypeScript loader it never uses (the script is plain CJS).
 */
function withEvalWorkers<T>(script: string, create: () => T): T {
  const require = createRequire(import.meta.url);
  const threads = require("node:worker_threads") as { Worker: typeof Worker };
  const Original = threads.Worker;
  threads.Worker = class extends Original {
    constructor(_filename: string | URL, options: WorkerOptions = {}) {
      super(script, { ...options, eval: true, execArgv: [] });
    }
  };
  try {
    return create();
  } finally {
    threads.Worker = Original;
  }
}

async function createThreadedModule(threads: number): Promise<EmscriptenModule> {
  const require = createRequire(import.meta.url);
  const files = threadedFiles();
  const factory = require(files.factoryPath) as EmscriptenFactory;
  const module = await withEvalWorkers(files.workerContents, () =>
    factory({
      // The worker script's path is never opened (withEvalWorkers); the binary's is.
      locateFile: (path: string) => (path.endsWith(".wasm") ? files.wasmPath : path),
      // The pthread workers evaluate this file to get the factory (a Blob in tfjs's browser loader).
      mainScriptUrlOrBlob: files.factoryPath,
      instantiateWasm: (
        info: WebAssembly.Imports,
        receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
      ) => {
        // tfjs caps the pool at logical cores / 2, assuming two hyperthreads per core; it is asked for
        // `threads`, so it is told of twice as many.
        info.env = { ...info.env, emscripten_num_logical_cores: () => 2 * threads };
        void WebAssembly.instantiate(readFileSync(files.wasmPath), info).then((r) =>
          receive(r.instance, r.module),
        );
        return {};
      },
    }),
  );
  // What tfjs-backend-wasm's own init() attaches before it makes a BackendWasm.
  module.tfjs = {
    init: module.cwrap("init", null, []),
    initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: module.cwrap("get_threads_count", "number", []),
    registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: module.cwrap("dispose_data", null, ["number"]),
    dispose: module.cwrap("dispose", null, []),
  };
  return module;
}

function registerThreadedBackend(threads: number): void {
  // The wasm backend's kernels (tfjs's, and our exp and tanh in front of theirs) run unchanged on the
  // second instance; its matmuls stay XNNPACK's, which the pool's threads share (native/gemm.c is one thread's).
  for (const kernel of tf.getKernelsForBackend("wasm")) {
    const own =
      kernel.kernelName === tf.BatchMatMul ? (originalKernel(tf.BatchMatMul, "wasm") ?? kernel) : kernel;
    tf.registerKernel({ ...own, backendName: THREADED_BACKEND });
  }
  registerWasmAdam(THREADED_BACKEND);
  registerWasmSpanLoss(THREADED_BACKEND);
  tf.registerBackend(
    THREADED_BACKEND,
    async () => {
      const module = await createThreadedModule(threads);
      // BackendWasm's constructor creates the pool with the count set here (a module-level setting).
      setThreadsCount(threads);
      const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
      // The pool's threads wait for work forever; Emscripten refs a running pthread's worker, which would
      // keep the process from exiting once its work is done.
      for (const worker of module.PThread.runningWorkers) worker.unref();
      return backend;
    },
    // Below every other backend: tfjs must never pick it on its own.
    -1,
  );
  registeredThreads = threads;
}

/**
 * Makes the fits that follow run on `threads` intra-op threads: the `wasm-threads` backend for 2 or more
 * (created on first use, with that pool size for the rest of the process), `wasm` for one. Only switches
 * away from wasm: a process on the cpu backend stays there. Returns the threads in effect; 1 when the
 * threaded build cannot start here (the reason goes to `onFallback`).
 */
export async function selectIntraOpThreads(
  threads: number,
  onFallback: (reason: string) => void = () => {},
): Promise<number> {
  const current = tf.getBackend();
  if (current !== "wasm" && current !== THREADED_BACKEND) return 1;
  if (threads < 2 || failure !== undefined) {
    if (current === THREADED_BACKEND) await tf.setBackend("wasm");
    if (failure !== undefined) onFallback(failure);
    return 1;
  }
  if (registeredThreads === 0) registerThreadedBackend(threads);
  if (current === THREADED_BACKEND) return registeredThreads;
  try {
    // tfjs logs and returns false when a backend's factory throws.
    if (await tf.setBackend(THREADED_BACKEND)) return registeredThreads;
    failure = `tf.setBackend("${THREADED_BACKEND}") returned false`;
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  onFallback(failure);
  await tf.setBackend("wasm");
  return 1;
}
