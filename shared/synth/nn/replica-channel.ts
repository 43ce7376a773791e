/**
 * The shared-memory channel between a fit's main thread and its training replica (nn/data-parallel.ts).
 * A training step is synchronous tfjs work, so the main thread cannot await a message event in the middle of
 * one: both sides block on Atomics.wait over one SharedArrayBuffer instead (runtime-neutral: Node's
 * worker_threads and Deno's or a browser's Web Workers all share it; a browser's main thread may not block,
 * so there the fit itself must run in a worker).
 *
 * Layout: four int32 control words (command sequence, reply sequence, command kind, reply status), then one
 * float32 region that carries a command's payload one way and its reply the other. The main thread writes
 * only after the previous command has been answered, and the replica answers only once it has copied the
 * payload out, so the region is never written by both at once.
 */
import { synthError } from "../../errors.ts";

const COMMAND_SEQ = 0;
const REPLY_SEQ = 1;
const COMMAND_KIND = 2;
const REPLY_STATUS = 3;
const HEADER_BYTES = 16;

export const REPLY_OK = 0;
export const REPLY_FAILED = 1;

/** How long the main thread waits for one reply before it decides the replica is gone. */
const DEFAULT_REPLY_TIMEOUT_MS = 300_000;

export class ReplicaChannel {
  readonly control: Int32Array;
  readonly data: Float32Array;
  private seq = 0;
  private pending = false;

  constructor(
    readonly buffer: SharedArrayBuffer,
    private readonly replyTimeoutMs = DEFAULT_REPLY_TIMEOUT_MS,
  ) {
    this.control = new Int32Array(buffer, 0, 4);
    this.data = new Float32Array(buffer, HEADER_BYTES);
  }

  static create(floats: number): ReplicaChannel {
    return new ReplicaChannel(new SharedArrayBuffer(HEADER_BYTES + 4 * floats));
  }

  // ------------------------------------------------------------ main thread

  /** Sends one command; `write` fills the payload (after the previous command's reply was taken). */
  command(kind: number, write: (data: Float32Array) => void, timeoutMs?: number): void {
    this.awaitReply(timeoutMs);
    write(this.data);
    Atomics.store(this.control, COMMAND_KIND, kind);
    this.seq += 1;
    Atomics.store(this.control, COMMAND_SEQ, this.seq);
    Atomics.notify(this.control, COMMAND_SEQ);
    this.pending = true;
  }

  /** Blocks until the last command is answered; its reply is then in `data`. A no-op when none is pending. */
  awaitReply(timeoutMs = this.replyTimeoutMs): void {
    if (!this.pending) return;
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(this.control, REPLY_SEQ) !== this.seq) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.pending = false;
        throw synthError("INTERNAL_ERROR", "The training replica stopped answering", {
          waitedMs: timeoutMs,
        });
      }
      Atomics.wait(this.control, REPLY_SEQ, this.seq - 1, Math.min(left, 1000));
    }
    this.pending = false;
    if (Atomics.load(this.control, REPLY_STATUS) !== REPLY_OK) {
      throw synthError("INTERNAL_ERROR", "The training replica failed (its error is in the log)");
    }
  }

  // ------------------------------------------------------------ replica

  /** Blocks until a command newer than `seen` arrives; returns its sequence number and kind. */
  nextCommand(seen: number): { seq: number; kind: number } {
    while (Atomics.load(this.control, COMMAND_SEQ) === seen) Atomics.wait(this.control, COMMAND_SEQ, seen);
    return {
      seq: Atomics.load(this.control, COMMAND_SEQ),
      kind: Atomics.load(this.control, COMMAND_KIND),
    };
  }

  reply(seq: number, status = REPLY_OK): void {
    Atomics.store(this.control, REPLY_STATUS, status);
    Atomics.store(this.control, REPLY_SEQ, seq);
    Atomics.notify(this.control, REPLY_SEQ);
  }
}
