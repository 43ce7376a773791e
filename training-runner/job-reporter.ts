import type { Clock } from "../shared/platform/clock.ts";
import { jobProgressSchema, type JobProgress } from "../shared/platform/job-progress.ts";
import type { Logger } from "../shared/platform/logger.ts";
import type { ComputeProgress } from "./compute.ts";
import type { ExecutionContext } from "./job-context.ts";
import { createProgressThrottle } from "./progress-throttle.ts";

/**
 * A job's progress as it reaches its row: stamped with elapsed time and the instant, checked against the
 * documented shape (the API drops anything else; a bad report is logged), throttled, and final once the
 * job has ended (an abandoned inline fit may still report). Generations and trials report the same way.
 */
export interface JobReporter {
  report(progress: ComputeProgress): void;
  /** The job has ended: the last progress is written and later reports are dropped. */
  end(): void;
}

export function createJobReporter(
  ctx: Pick<ExecutionContext, "reportProgress" | "progressIntervalMs" | "throttleClock">,
  clock: Clock,
  log: Logger | undefined,
): JobReporter {
  const started = clock.monotonicMs();
  const throttle = createProgressThrottle<JobProgress>(
    (p) => {
      try {
        const pending = ctx.reportProgress(p);
        if (pending instanceof Promise) {
          pending.catch((error: unknown) =>
            log?.log("warn", "progress write failed", { error: String(error) }),
          );
        }
      } catch (error) {
        log?.log("warn", "progress write failed", { error: String(error) });
      }
    },
    { intervalMs: ctx.progressIntervalMs ?? 1000, clock: ctx.throttleClock },
  );
  let ended = false;
  return {
    report(p) {
      if (ended) return;
      const parsed = jobProgressSchema.safeParse({
        ...p,
        elapsed_seconds: Math.max(0, (clock.monotonicMs() - started) / 1000),
        updated_at: clock.now().toISOString(),
      });
      if (parsed.success) throttle.push(parsed.data);
      else
        log?.log("warn", "progress not in the documented shape", { issues: parsed.error.issues.slice(0, 3) });
    },
    end() {
      ended = true;
      throttle.flush();
    },
  };
}
