import { sql } from "kysely";
import { asServiceRole, type Db } from "../shared/platform/db.ts";
import type { Logger } from "../shared/platform/logger.ts";
import { idleRuns, proposeTrials } from "../shared/platform/optimization-study.ts";
import type { ClaimedJob } from "./queue.ts";

/**
 * The runner's part in a study's proposals (the design: supabase/migrations/20261202004000_optimization_queue.sql):
 * after a trial ends, however it ended, the runner that held it proposes the next trials (or finishes the
 * run); every poll, a sweep proposes for active runs with no trial in flight, so a crashed proposer (or an
 * API that died after inserting the run) only delays a study. Errors are logged, never thrown: the claim
 * loop goes on, and the next sweep tries again.
 */
export interface StudyHooks {
  afterJob(job: ClaimedJob): Promise<void>;
  sweep(): Promise<void>;
}

const SCOPE = "training-runner: propose optimisation trials";

export function createStudyHooks(db: Db, logger: Logger): StudyHooks {
  const propose = async (runId: string) => {
    const outcome = await asServiceRole(db, SCOPE, (tx) => proposeTrials(tx, runId));
    if (outcome !== null && (outcome.queued > 0 || outcome.status !== "running")) {
      logger.log("info", "study proposals", { run_id: runId, ...outcome });
    }
  };
  return {
    async afterJob(job) {
      if (job.kind !== "optimization_trial") return;
      try {
        const { rows } = await asServiceRole(db, SCOPE, (tx) =>
          sql<{
            run_id: string;
          }>`select run_id from public.optimization_trials where id = ${job.job_id}::uuid`.execute(tx),
        );
        if (rows[0] !== undefined) await propose(rows[0].run_id);
      } catch (error) {
        logger.log("warn", "proposing after a trial failed (the sweep retries)", {
          job_id: job.job_id,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    },
    async sweep() {
      try {
        const ids = await asServiceRole(db, SCOPE, (tx) => idleRuns(tx));
        for (const id of ids) await propose(id);
      } catch (error) {
        logger.log("warn", "study sweep failed", {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    },
  };
}
