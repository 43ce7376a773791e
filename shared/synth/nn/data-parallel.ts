/**
 * Data-parallel training steps over threads: the fit's main thread draws the whole batch from the fit's Rng
 * exactly as a one-thread fit does, keeps the first share of its rows and hands each other share to a
 * replica (a worker thread holding an identical copy of the networks and of the optimiser). Every thread
 * computes the gradient of its share's mean loss; the main thread averages them, weighted by rows, which is
 * the gradient of the whole batch's mean loss; every thread applies that same average with its own Adam,
 * so the copies stay identical step after step without sending weights back and forth.
 *
 * Why: tfjs-wasm runs one thread (its threaded build is not supported on Node), while PyTorch's CPU kernels
 * use every core; a step split over two threads takes both cores, as the reference does. The split is
 * exact for what is a mean over rows (TVAE's losses, CTGAN's critic and generator losses, the gradient
 * penalty per pac group when each share is whole groups) and is not for batch-norm statistics, which each
 * share computes over its own rows ("ghost" batch norm, as PyTorch's DistributedDataParallel does unless
 * SyncBatchNorm is asked for): CTGAN's generator with two threads is a slightly different model from CTGAN
 * with one. Given a seed and a thread count, a fit is byte-identical run after run: every share, every
 * summation order and every replica's update is fixed.
 *
 * The replicas are spawned by the runtime (`ReplicaSpawner`: Node worker_threads in cli/fit-replica.ts);
 * this module and the models' replica programs stay runtime-neutral.
 */
import * as tf from "@tensorflow/tfjs";
import { synthError } from "../../errors.ts";
import type { ColumnTransformInfo, WeightTensor } from "../matrix-model.ts";
import { ReplicaChannel } from "./replica-channel.ts";

/** What a replica needs to build the same networks and optimisers as the main thread. */
export interface ReplicaInit {
  kind: "tvae" | "ctgan";
  /** The main thread's tfjs backend: a replica on another one would compute other gradients. */
  backend: string;
  /** The model's resolved config (batch size included). */
  config: Record<string, unknown>;
  columns: ColumnTransformInfo[];
  width: number;
  /** Every ParamSet's weights, in the order the model builds its sets. */
  weights: WeightTensor[][];
  buffer: SharedArrayBuffer;
}

export interface ReplicaHandle {
  /** Resolves once the replica has built its networks and waits for commands. */
  ready: Promise<void>;
  /** Ends the replica (after a STOP command, or at once if it is stuck). */
  close(): Promise<void>;
}

export type ReplicaSpawner = (init: ReplicaInit) => ReplicaHandle;

/** How long closing waits for a replica to finish its command and stop before it is ended regardless. */
const CLOSE_TIMEOUT_MS = 10_000;

/** Every model's command 0: leave the command loop. */
export const STOP_COMMAND = 0;

/** Rows of a batch split into `parts` shares of whole `unit`-row groups, larger shares first. */
export function splitRows(rows: number, parts: number, unit = 1): number[] {
  const groups = Math.floor(rows / unit);
  const base = Math.floor(groups / parts);
  const extra = groups % parts;
  return Array.from({ length: parts }, (_, i) => (base + (i < extra ? 1 : 0)) * unit);
}

/** Where each share of `splitRows` starts: the rows of the shares before it. */
export function shareStarts(shares: number[]): number[] {
  let at = 0;
  return shares.map((n) => {
    const start = at;
    at += n;
    return start;
  });
}

/** Writes numbers and arrays one after another into `data`; returns the length written. */
export function pack(data: Float32Array, parts: (number | Float32Array)[]): number {
  let at = 0;
  for (const p of parts) {
    if (typeof p === "number") data[at++] = p;
    else {
      data.set(p, at);
      at += p.length;
    }
  }
  return at;
}

/** Copies consecutive arrays of the given sizes out of `data`, starting at `offset`. */
export function unpack(data: Float32Array, offset: number, sizes: number[]): Float32Array[] {
  let at = offset;
  return sizes.map((n) => {
    const copy = data.slice(at, at + n);
    at += n;
    return copy;
  });
}

const sizeOf = (v: tf.Variable): number => v.shape.reduce((a, b) => a * b, 1);

/** Floats a channel needs for a gradient reply over `vars` with `values` loss values ahead of it. */
export function gradientFloats(vars: tf.Variable[], values: number): number {
  return values + vars.reduce((sum, v) => sum + sizeOf(v), 0);
}

/** A replica's side of one gradient command: loss values, then every gradient in `vars` order. */
export function writeGradientReply(
  data: Float32Array,
  values: number[],
  vars: tf.Variable[],
  grads: tf.NamedTensorMap,
): void {
  data.set(values, 0);
  let at = values.length;
  for (const v of vars) {
    const g = grads[v.name];
    const n = sizeOf(v);
    if (g === undefined) data.fill(0, at, at + n);
    else data.set(g.dataSync() as Float32Array, at);
    at += n;
  }
}

/**
 * Gradients as tensors, one per variable, from the flat layout writeGradientReply uses. Copied out of the
 * channel: tfjs's cpu backend keeps the array it is given, and the channel's region is reused next command.
 */
export function gradientTensors(data: Float32Array, offset: number, vars: tf.Variable[]): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  let at = offset;
  for (const v of vars) {
    const n = sizeOf(v);
    out[v.name] = tf.tensor(data.slice(at, at + n), v.shape);
    at += n;
  }
  return out;
}

/**
 * The main thread's side: one channel per replica. A step sends each replica its share, computes its own,
 * then `average` waits for the replicas' gradients, averages them by rows and sends the average back.
 */
export class ReplicaGroup {
  constructor(
    readonly channels: ReplicaChannel[],
    private readonly handles: ReplicaHandle[],
  ) {}

  get threads(): number {
    return this.channels.length + 1;
  }

  /** Spawns `threads - 1` replicas from the same init (each with its own channel) and waits until ready. */
  static async spawn(
    spawner: ReplicaSpawner,
    threads: number,
    floats: number,
    init: Omit<ReplicaInit, "buffer">,
  ): Promise<ReplicaGroup> {
    const channels = Array.from({ length: threads - 1 }, () => ReplicaChannel.create(floats));
    const handles = channels.map((ch) => spawner({ ...init, buffer: ch.buffer }));
    const group = new ReplicaGroup(channels, handles);
    try {
      await Promise.all(handles.map((h) => h.ready));
    } catch (error) {
      await group.close();
      throw synthError("INTERNAL_ERROR", "A training replica could not start", {
        reason: error instanceof Error ? error.message : String(error),
      });
    }
    return group;
  }

  /** Sends replica i its share (`parts(i)` is packed into its channel). */
  send(kind: number, parts: (replica: number) => (number | Float32Array)[]): void {
    this.channels.forEach((ch, i) => ch.command(kind, (data) => pack(data, parts(i))));
  }

  /**
   * Waits for every replica's gradient reply (`values` loss values, then the gradients), averages them with
   * the main thread's own (`weights[0]` for the main thread's share, `weights[i + 1]` for replica i; they
   * sum to 1), sends the average to every replica as `applyKind`, and returns it as tensors with the
   * weighted loss values. Summation order is fixed: main thread first, then replicas in order.
   */
  average(
    own: { values: number[]; grads: tf.NamedTensorMap },
    vars: tf.Variable[],
    weights: number[],
    applyKind: number,
  ): { values: number[]; grads: tf.NamedTensorMap } {
    for (const ch of this.channels) ch.awaitReply();
    const values = own.values.map((v, k) =>
      this.channels.reduce((sum, ch, i) => sum + ch.data[k] * weights[i + 1], v * weights[0]),
    );
    const offset = own.values.length;
    const first = this.channels[0].data;
    let at = offset;
    for (const v of vars) {
      const n = sizeOf(v);
      const g = own.grads[v.name];
      const mine = g === undefined ? new Float32Array(n) : (g.dataSync() as Float32Array);
      for (let j = 0; j < n; j++) {
        let sum = mine[j] * weights[0];
        for (let i = 0; i < this.channels.length; i++) sum += this.channels[i].data[at + j] * weights[i + 1];
        first[at + j] = sum;
      }
      at += n;
    }
    // The average lands in the first channel; the others get a copy.
    for (let i = 1; i < this.channels.length; i++) {
      this.channels[i].data.set(first.subarray(offset, at), offset);
    }
    const grads = gradientTensors(first, offset, vars);
    this.channels.forEach((ch) => ch.command(applyKind, () => undefined));
    return { values, grads };
  }

  /** Stops the replicas; safe to call twice, and after a failure. */
  async close(): Promise<void> {
    for (const ch of this.channels) {
      try {
        ch.command(STOP_COMMAND, () => undefined, CLOSE_TIMEOUT_MS);
        ch.awaitReply(CLOSE_TIMEOUT_MS);
      } catch {
        // A replica that failed or stopped answering is ended below all the same.
      }
    }
    await Promise.allSettled(this.handles.map((h) => h.close()));
  }
}
