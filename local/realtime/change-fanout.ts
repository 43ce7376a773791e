import type { Logger } from "../../shared/platform/logger.ts";
import { parseChangeEvent, type CapturedChange, type ChangeEvent } from "./change-event.ts";

/**
 * Captured changes, one at a time in commit order, each fanned out to every subscribed channel with a
 * bounded number of re-reads at once. One change at a time keeps a row's UPDATE before its DELETE for
 * every subscriber; the bounded queue keeps a burst of writes from growing memory without end. The row's
 * new values are taken from the change log once per change, before any subscriber is served.
 */
export interface ChangeTarget {
  tasksFor(change: CapturedChange): (() => Promise<void>)[];
}

export class ChangeFanout {
  private readonly queue: ChangeEvent[] = [];
  private draining: Promise<void> | null = null;
  private dropped = 0;

  constructor(
    private readonly targets: () => Iterable<ChangeTarget>,
    private readonly options: {
      maxQueued: number;
      concurrency: number;
      logger: Logger;
      takeRow: (changeId: number) => Promise<Record<string, unknown> | null>;
    },
  ) {}

  /** A notification's payload, as the capture trigger sent it. */
  push(payload: string): void {
    const change = parseChangeEvent(payload);
    if (change === null) {
      this.options.logger.log("warn", "local realtime: a change notification is not one", {
        bytes: payload.length,
      });
      return;
    }
    if (this.queue.length >= this.options.maxQueued) {
      this.dropped++;
      if (this.dropped === 1 || this.dropped % 1000 === 0)
        this.options.logger.log("warn", "local realtime: too many changes queued, dropping", {
          dropped: this.dropped,
        });
      return;
    }
    this.queue.push(change);
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  /** Resolves once every queued change has been delivered (tests and shutdown wait on it). */
  async idle(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      const change: CapturedChange = { ...next, record: await this.capturedRow(next) };
      const tasks = [...this.targets()].flatMap((t) => t.tasksFor(change));
      await runBounded(tasks, this.options.concurrency, (error) =>
        this.options.logger.log("warn", "local realtime: a change could not be delivered", {
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    }
  }

  private async capturedRow(change: ChangeEvent): Promise<Record<string, unknown> | null> {
    if (change.change_id === null) return null;
    try {
      return await this.options.takeRow(change.change_id);
    } catch (error) {
      // Without it the reader re-reads the row: the subscriber still hears of the change, in its later state.
      this.options.logger.log("warn", "local realtime: a captured row could not be read", {
        error: error instanceof Error ? error.message : String(error),
      });
      return null;
    }
  }
}

async function runBounded(
  tasks: (() => Promise<void>)[],
  concurrency: number,
  onError: (error: unknown) => void,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      try {
        await task();
      } catch (error) {
        onError(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}
