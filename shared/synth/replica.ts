/**
 * The command loop of a training replica (nn/data-parallel.ts), runtime-neutral: the runtime's worker entry
 * (cli/fit-replica-worker.ts on Node) initialises the tfjs backend and calls `serveReplica`, which blocks
 * its thread on the channel until the main thread says STOP.
 */
import { registerComparisonGradients } from "./nn/gradients.ts";
import { STOP_COMMAND, type ReplicaInit } from "./nn/data-parallel.ts";
import { REPLY_FAILED, ReplicaChannel } from "./nn/replica-channel.ts";
import { ctganReplica } from "./ctgan-replica.ts";
import { tvaeReplica } from "./tvae-replica.ts";

export interface ReplicaProgram {
  /**
   * Handles one command whose payload is in `data` and leaves its reply there. May return work to run
   * after the reply is sent (an update the main thread need not wait for).
   */
  handle(kind: number, data: Float32Array): (() => void) | undefined;
  dispose(): void;
}

export interface ReplicaHooks {
  /** Called once the networks are built, before the first command is awaited. */
  onReady(): void;
  /** A command failed: the main thread is told through the reply; this is where the reason goes. */
  onError(error: unknown): void;
}

export function serveReplica(init: ReplicaInit, hooks: ReplicaHooks): void {
  registerComparisonGradients();
  const program = init.kind === "tvae" ? tvaeReplica(init) : ctganReplica(init);
  const channel = new ReplicaChannel(init.buffer);
  hooks.onReady();
  let seen = 0;
  let failed = false;
  for (;;) {
    const { seq, kind } = channel.nextCommand(seen);
    seen = seq;
    if (kind === STOP_COMMAND) {
      program.dispose();
      channel.reply(seq);
      return;
    }
    // After one failure the copies may differ: every later command fails too, until STOP.
    let after: (() => void) | undefined;
    try {
      if (!failed) after = program.handle(kind, channel.data);
    } catch (error) {
      failed = true;
      hooks.onError(error);
    }
    channel.reply(seq, failed ? REPLY_FAILED : undefined);
    try {
      after?.();
    } catch (error) {
      failed = true;
      hooks.onError(error);
    }
  }
}
