import { sql } from "kysely";
import { z } from "zod";
import { asServiceRole, type Db } from "../shared/platform/db.ts";
import { JOB_KINDS, type JobKind } from "./config.ts";

/**
 * The runner's side of the queue: thin calls of the SQL functions (the queue migration), each as the
 * service role, the only role they are granted to. Every one acts only where `locked_by` is this runner,
 * so what a runner that lost its lease sends is refused by the database, not by this code.
 */
export const claimedJobSchema = z.object({
  kind: z.enum(JOB_KINDS),
  job_id: z.string().uuid(),
  owner_id: z.string().uuid(),
  attempt: z.coerce.number().int(),
  max_attempts: z.coerce.number().int(),
  locked_until: z.coerce.date(),
});
export type ClaimedJob = z.infer<typeof claimedJobSchema>;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const SCOPE = "training-runner";

export interface Queue {
  claim(kinds: readonly JobKind[], leaseSeconds: number): Promise<ClaimedJob[]>;
  /** null when the lease is lost (the row is no longer locked by this runner). */
  renew(
    job: ClaimedJob,
    leaseSeconds: number,
  ): Promise<{ lockedUntil: Date; cancelRequested: boolean } | null>;
  /** null when the lease is lost. */
  progress(job: ClaimedJob, progress: Record<string, Json>): Promise<{ cancelRequested: boolean } | null>;
  complete(job: ClaimedJob, results: Record<string, Json>): Promise<boolean>;
  /** The row's new status, or null when the lease was lost. */
  fail(job: ClaimedJob, error: Record<string, Json>, retryable: boolean): Promise<string | null>;
  cancel(job: ClaimedJob): Promise<boolean>;
  reclaimExpired(): Promise<number>;
  heartbeat(runningJobs: number, version: string, details: Record<string, Json>): Promise<void>;
  /** When the job became claimable (run_after, or created_at for a dataset), for the queue-wait histogram. */
  readyAt(job: ClaimedJob): Promise<Date | null>;
  ping(): Promise<void>;
}

/**
 * How long one queue call may take. A query on a connection whose backend was terminated can hang in
 * postgres.js 3.4.9 (porsager/postgres#1208); a bound turns it into an error the loop backs off from.
 */
export const QUEUE_CALL_TIMEOUT_MS = 15_000;

function bounded<T>(work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error("queue call timed out"), { code: "QUERY_TIMEOUT" })),
      QUEUE_CALL_TIMEOUT_MS,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function createQueue(db: Db, workerId: string): Queue {
  const json = (value: unknown) => JSON.stringify(value);
  const asService = <T>(fn: (tx: Parameters<Parameters<typeof asServiceRole<T>>[2]>[0]) => Promise<T>) =>
    bounded(asServiceRole(db, SCOPE, fn));
  return {
    async claim(kinds, leaseSeconds) {
      const { rows } = await asService((tx) =>
        sql<
          Record<string, unknown>
        >`select * from public.claim_job(${workerId}, ${sql.val([...kinds])}::text[], ${leaseSeconds})`.execute(
          tx,
        ),
      );
      return rows.filter((r) => r.job_id !== null).map((r) => claimedJobSchema.parse(r));
    },
    async renew(job, leaseSeconds) {
      const { rows } = await asService((tx) =>
        sql<{
          locked_until: Date | string;
          cancel_requested: boolean;
        }>`select * from public.renew_lease(${job.kind}, ${job.job_id}::uuid, ${workerId}, ${leaseSeconds})`.execute(
          tx,
        ),
      );
      const row = rows[0];
      if (row === undefined || row.locked_until === null) return null;
      return { lockedUntil: new Date(row.locked_until), cancelRequested: row.cancel_requested === true };
    },
    async progress(job, progress) {
      const { rows } = await asService((tx) =>
        sql<{
          cancel_requested: boolean | null;
        }>`select * from public.report_progress(${job.kind}, ${job.job_id}::uuid, ${workerId}, ${json(progress)}::text::jsonb)`.execute(
          tx,
        ),
      );
      const row = rows[0];
      if (row === undefined || row.cancel_requested === null) return null;
      return { cancelRequested: row.cancel_requested };
    },
    async complete(job, results) {
      const { rows } = await asService((tx) =>
        sql<{
          ok: boolean | null;
        }>`select public.complete_job(${job.kind}, ${job.job_id}::uuid, ${workerId}, ${json(results)}::text::jsonb) as ok`.execute(
          tx,
        ),
      );
      return rows[0]?.ok === true;
    },
    async fail(job, error, retryable) {
      const { rows } = await asService((tx) =>
        sql<{
          status: string | null;
        }>`select public.fail_job(${job.kind}, ${job.job_id}::uuid, ${workerId}, ${json(error)}::text::jsonb, ${retryable}) as status`.execute(
          tx,
        ),
      );
      return rows[0]?.status ?? null;
    },
    async cancel(job) {
      const { rows } = await asService((tx) =>
        sql<{
          ok: boolean | null;
        }>`select public.cancel_job(${job.kind}, ${job.job_id}::uuid, ${workerId}) as ok`.execute(tx),
      );
      return rows[0]?.ok === true;
    },
    async reclaimExpired() {
      const { rows } = await asService((tx) =>
        sql<{ n: number | string | null }>`select public.reclaim_expired_leases() as n`.execute(tx),
      );
      return Number(rows[0]?.n ?? 0);
    },
    async heartbeat(runningJobs, version, details) {
      await asService((tx) =>
        sql`select public.runner_heartbeat(${workerId}, ${runningJobs}, ${version}, ${json(details)}::text::jsonb)`.execute(
          tx,
        ),
      );
    },
    async readyAt(job) {
      const { rows } = await asService((tx) =>
        job.kind === "generation"
          ? sql<{
              t: Date | string;
            }>`select greatest(run_after, created_at) as t from public.generation_requests where id = ${job.job_id}::uuid`.execute(
              tx,
            )
          : job.kind === "optimization_trial"
            ? sql<{
                t: Date | string;
              }>`select greatest(run_after, created_at) as t from public.optimization_trials where id = ${job.job_id}::uuid`.execute(
                tx,
              )
            : sql<{
                t: Date | string;
              }>`select created_at as t from public.datasets where id = ${job.job_id}::uuid`.execute(tx),
      );
      return rows[0] === undefined ? null : new Date(rows[0].t);
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
  };
}
