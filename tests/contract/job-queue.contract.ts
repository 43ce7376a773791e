import { randomUUID } from "node:crypto";
import { sql, type RawBuilder } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { asServiceRole, asUser, type Db } from "../../shared/platform/db.ts";
import { createDataset, createUser, sqlState, type ContractDb, type TestUser } from "../db/fixtures.ts";
import type { SeedSql } from "./seed-sql.ts";

/**
 * The queue functions of supabase/migrations/20261202002000_job_queue.sql, called as the runner calls them
 * (service_role), each after forcing the row state with a superuser connection. claim_job sees every
 * queued job of the database, so these tests run in a database of their own: jobs other test files queue
 * in the shared one would be claimed here (and theirs changed under them).
 */
let su: SeedSql;
let db: Db;

interface Claimed {
  kind: string;
  job_id: string;
  owner_id: string;
  attempt: number;
  max_attempts: number;
  locked_until: Date;
}

const service = async <T>(query: RawBuilder<T>): Promise<T[]> =>
  (await asServiceRole(db, "test:runner", (tx) => query.execute(tx))).rows;

const claim = (worker: string, kinds: string[] = ["generation"], lease = 60) =>
  service(sql<Claimed>`select * from public.claim_job(${worker}, ${kinds}::text[], ${lease})`);
const renew = (kind: string, id: string, worker: string, lease = 60) =>
  service(
    sql<{
      locked_until: Date;
      cancel_requested: boolean;
    }>`select * from public.renew_lease(${kind}, ${id}::uuid, ${worker}, ${lease})`,
  );
const progress = (kind: string, id: string, worker: string, value: object) =>
  service(
    sql<{
      cancel_requested: boolean;
    }>`select * from public.report_progress(${kind}, ${id}::uuid, ${worker}, ${JSON.stringify(value)}::text::jsonb)`,
  );
const complete = async (kind: string, id: string, worker: string, results: object) =>
  (
    await service(
      sql<{
        ok: boolean;
      }>`select public.complete_job(${kind}, ${id}::uuid, ${worker}, ${JSON.stringify(results)}::text::jsonb) as ok`,
    )
  )[0].ok;
const fail = async (kind: string, id: string, worker: string, error: object, retryable: boolean) =>
  (
    await service(
      sql<{
        status: string | null;
      }>`select public.fail_job(${kind}, ${id}::uuid, ${worker}, ${JSON.stringify(error)}::text::jsonb, ${retryable}) as status`,
    )
  )[0].status;
const cancel = async (id: string, worker: string) =>
  (
    await service(sql<{ ok: boolean }>`select public.cancel_job('generation', ${id}::uuid, ${worker}) as ok`)
  )[0].ok;
const reclaim = async () =>
  (await service(sql<{ n: number }>`select public.reclaim_expired_leases() as n`))[0].n;

const RESULTS = { result_paths: { synthetic: "u/j/synthetic.csv" }, quality_summary: { overall: 0.9 } };
const TRANSIENT = { code: "STORAGE_ERROR", message: "storage answered 503", details: { retryable: true } };

interface GenerationRow {
  status: string;
  attempts: number;
  max_attempts: number;
  locked_by: string | null;
  locked_until: Date | null;
  run_after: Date;
  progress: Record<string, unknown>;
  result_paths: Record<string, unknown> | null;
  quality_summary: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  started_at: Date | null;
  finished_at: Date | null;
}
const generation = async (id: string) =>
  (await su<GenerationRow[]>`select * from public.generation_requests where id = ${id}`)[0];

interface DatasetRow {
  status: string;
  attempts: number;
  locked_by: string | null;
  locked_until: Date | null;
  row_count: number | null;
  column_count: number | null;
  profile: Record<string, unknown> | null;
  column_metadata: Record<string, unknown> | null;
  sha256: string | null;
  error: Record<string, unknown> | null;
}
const dataset = async (id: string) =>
  (await su<DatasetRow[]>`select * from public.datasets where id = ${id}`)[0];

/**
 * Queued jobs inserted with triggers off (session_replication_role = replica), so that one user can have
 * more jobs than max_active_jobs_per_user and run_after can be set: the state is forced, as the claim
 * would find it.
 */
async function queueJobs(owner: string, datasetId: string, runAfters: Date[]): Promise<string[]> {
  return su.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    const ids: string[] = [];
    for (const runAfter of runAfters) {
      const [row] = await tx<{ id: string }[]>`
        insert into public.generation_requests (owner_id, dataset_id, model_type, sample_size, status, run_after)
        values (${owner}, ${datasetId}, 'ctgan', 100, 'queued', ${runAfter}) returning id`;
      ids.push(row.id);
    }
    return ids;
  });
}

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

/** A user with a ready dataset. */
async function owner(): Promise<{ user: TestUser; datasetId: string }> {
  const user = await createUser(su);
  return { user, datasetId: await createDataset(su, user.id) };
}

/**
 * The queue as a contract: the runner claims, renews and completes jobs with these functions on a
 * PostgreSQL server and on the embedded PGlite alike. `open` gives a database of the suite's own.
 */
export function jobQueueContract(database: string, open: () => Promise<ContractDb>): void {
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ su, db, close } = await open());
  });
  afterAll(async () => {
    await close?.();
  });
  beforeEach(async () => {
    await su`truncate public.generation_requests, public.datasets, public.runner_heartbeats, public.notifications cascade`;
  });

  describe(`the job queue on ${database}`, () => {
    describe("claim_job", () => {
      it("claims the oldest run_after first, skips jobs not due yet, and leases the job", async () => {
        const { user, datasetId } = await owner();
        const [newer, older, future] = await queueJobs(user.id, datasetId, [ago(300), ago(600), ago(-3600)]);

        const before = Date.now();
        const [first] = await claim("w1");
        expect(first).toMatchObject({
          kind: "generation",
          job_id: older,
          owner_id: user.id,
          attempt: 1,
          max_attempts: 3,
        });
        expect(first.locked_until.getTime()).toBeGreaterThanOrEqual(before + 55_000);
        expect(first.locked_until.getTime()).toBeLessThanOrEqual(Date.now() + 61_000);
        const row = await generation(older);
        expect(row).toMatchObject({ status: "running", attempts: 1, locked_by: "w1" });
        expect(row.started_at).toBeInstanceOf(Date);

        expect((await claim("w1")).map((c) => c.job_id)).toEqual([newer]);
        expect(await claim("w1")).toEqual([]);
        expect((await generation(future)).status).toBe("queued");
      });

      it("prefers the owner with the fewest running jobs, then the one whose oldest job is oldest", async () => {
        const a = await owner();
        const b = await owner();
        const aJobs = await queueJobs(
          a.user.id,
          a.datasetId,
          Array.from({ length: 11 }, (_, i) => ago(3600 - i * 60)),
        );
        // A already runs one of them.
        await su`update public.generation_requests set status = 'running', locked_by = 'other', locked_until = now() + interval '5 minutes'
                where id = ${aJobs[0]}`;
        const [bJob] = await queueJobs(b.user.id, b.datasetId, [ago(60)]);

        expect((await claim("w1"))[0].job_id).toBe(bJob);
        // Both run one now: the tie goes to the owner with the oldest claimable job, B's new one.
        const [bOld] = await queueJobs(b.user.id, b.datasetId, [ago(7200)]);
        expect((await claim("w1"))[0].job_id).toBe(bOld);
        // B runs two, A one: A's oldest claimable job.
        expect((await claim("w1"))[0].job_id).toBe(aJobs[1]);
      });

      it("gives each job to exactly one of many concurrent claims, without errors", async () => {
        const { user, datasetId } = await owner();
        const jobs = await queueJobs(
          user.id,
          datasetId,
          Array.from({ length: 5 }, (_, i) => ago(100 + i)),
        );
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => claim(`w${i}`)));
        const claimed = results.flat();
        expect(claimed).toHaveLength(5);
        expect(new Set(claimed.map((c) => c.job_id))).toEqual(new Set(jobs));
        for (const [i, r] of results.entries()) {
          expect(r.length).toBeLessThanOrEqual(1);
          if (r[0] === undefined) continue;
          expect(await generation(r[0].job_id)).toMatchObject({
            attempts: 1,
            locked_by: `w${i}`,
            status: "running",
          });
        }
      });

      it("never claims a job whose cancel was requested", async () => {
        const { user, datasetId } = await owner();
        const [job] = await queueJobs(user.id, datasetId, [ago(60)]);
        await asUser(db, user.claims, (tx) =>
          tx
            .updateTable("generation_requests")
            .set({ cancel_requested: true })
            .where("id", "=", job)
            .execute(),
        );
        expect(await claim("w1")).toEqual([]);
        expect((await generation(job)).status).toBe("canceled");
      });

      it("fails a queued generation whose dataset was deleted instead of handing it out", async () => {
        const { user, datasetId } = await owner();
        const [orphan, ok] = await queueJobs(user.id, datasetId, [ago(600), ago(60)]);
        // Deleting a dataset with an active job is refused; only an erasure in progress or a manual change
        // leaves a queued job without its dataset.
        await su`update public.generation_requests set dataset_id = null where id = ${orphan}`;
        expect((await claim("w1")).map((c) => c.job_id)).toEqual([ok]);
        const row = await generation(orphan);
        expect(row.status).toBe("failed");
        expect(row.attempts).toBe(0);
        expect(row.error).toEqual({ code: "NOT_FOUND", message: "the dataset of this request was deleted" });
        expect(row.finished_at).toBeInstanceOf(Date);
      });

      it("refuses unknown kinds, an empty kinds list and an absurd lease", async () => {
        expect(await sqlState(claim("w1", ["training"]))).toBe("22023");
        expect(await sqlState(claim("w1", []))).toBe("22023");
        expect(await sqlState(claim("w1", ["generation"], 0))).toBe("22023");
        expect(await sqlState(claim("", ["generation"]))).toBe("22023");
      });
    });

    describe("expired leases", () => {
      it("are reclaimed and the job is claimed by another runner; the first runner's late writes are refused", async () => {
        const { user, datasetId } = await owner();
        const [job] = await queueJobs(user.id, datasetId, [ago(60)]);
        await claim("w1");
        await progress("generation", job, "w1", { epoch: 1 });
        await su`update public.generation_requests set locked_until = now() - interval '1 second' where id = ${job}`;

        const [taken] = await claim("w2");
        expect(taken).toMatchObject({ job_id: job, attempt: 2 });
        const row = await generation(job);
        expect(row).toMatchObject({ status: "running", locked_by: "w2", attempts: 2 });
        expect(row.error).toMatchObject({ code: "LEASE_LOST" });

        // w1 wakes up: nothing it sends changes the row, and each call says so.
        expect(await renew("generation", job, "w1")).toEqual([]);
        expect(await progress("generation", job, "w1", { epoch: 99 })).toEqual([]);
        expect(await complete("generation", job, "w1", RESULTS)).toBe(false);
        expect(await fail("generation", job, "w1", TRANSIENT, true)).toBeNull();
        expect(await cancel(job, "w1")).toBe(false);
        const after = await generation(job);
        expect(after).toMatchObject({ status: "running", locked_by: "w2", attempts: 2, result_paths: null });
        expect(after.progress).toEqual({ epoch: 1 });
        expect(after.locked_until).toEqual(row.locked_until);

        // The holder's own calls work.
        const [renewed] = await renew("generation", job, "w2", 120);
        expect(renewed.cancel_requested).toBe(false);
        expect(renewed.locked_until.getTime()).toBeGreaterThan(row.locked_until!.getTime());
        expect(await complete("generation", job, "w2", RESULTS)).toBe(true);
      });

      it("reclaim_expired_leases counts what it reclaims and fails a job on its last attempt", async () => {
        const { user, datasetId } = await owner();
        const [retry, last, live] = await queueJobs(user.id, datasetId, [ago(300), ago(200), ago(100)]);
        await su`update public.generation_requests set max_attempts = 1 where id = ${last}`;
        expect((await claim("w1")).length + (await claim("w1")).length + (await claim("w1")).length).toBe(3);
        await su`update public.generation_requests set locked_until = now() - interval '1 second' where id in (${retry}, ${last})`;

        expect(await reclaim()).toBe(2);
        expect(await generation(retry)).toMatchObject({
          status: "queued",
          locked_by: null,
          locked_until: null,
        });
        const failed = await generation(last);
        expect(failed).toMatchObject({ status: "failed", locked_by: null, attempts: 1 });
        expect(failed.error).toMatchObject({ code: "LEASE_LOST" });
        expect(failed.finished_at).toBeInstanceOf(Date);
        expect(await generation(live)).toMatchObject({ status: "running", locked_by: "w1" });
        expect(await reclaim()).toBe(0);
      });
    });

    describe("complete_job", () => {
      it("records results, clears the last attempt's error and keeps the progress", async () => {
        const { user, datasetId } = await owner();
        const [job] = await queueJobs(user.id, datasetId, [ago(60)]);
        await claim("w1");
        expect(await fail("generation", job, "w1", TRANSIENT, true)).toBe("queued");
        await su`update public.generation_requests set run_after = now() - interval '1 second' where id = ${job}`;
        expect((await claim("w1"))[0]).toMatchObject({ job_id: job, attempt: 2 });
        expect(await progress("generation", job, "w1", { epoch: 5, loss: 0.1 })).toEqual([
          { cancel_requested: false },
        ]);

        expect(await complete("generation", job, "w1", RESULTS)).toBe(true);
        const row = await generation(job);
        expect(row).toMatchObject({
          status: "succeeded",
          result_paths: RESULTS.result_paths,
          quality_summary: RESULTS.quality_summary,
          error: null,
          progress: { epoch: 5, loss: 0.1 },
          locked_by: null,
          attempts: 2,
        });
        expect(row.finished_at).toBeInstanceOf(Date);
        // Finished: a second completion (a duplicate delivery) is refused.
        expect(await complete("generation", job, "w1", { result_paths: { other: "x" } })).toBe(false);
        expect((await generation(job)).result_paths).toEqual(RESULTS.result_paths);
      });

      it("refuses malformed results", async () => {
        const { user, datasetId } = await owner();
        const [job] = await queueJobs(user.id, datasetId, [ago(60)]);
        await claim("w1");
        expect(await sqlState(complete("generation", job, "w1", { quality_summary: {} }))).toBe("22023");
        expect(await sqlState(fail("generation", job, "w1", { message: "no code" }, false))).toBe("22023");
        // A pre-stringified value sent as a jsonb parameter arrives encoded twice (a JSON string): refused,
        // with a hint that says how to pass it.
        const twice = await asServiceRole(db, "test:runner", (tx) =>
          sql`select public.complete_job('generation', ${job}::uuid, 'w1', ${JSON.stringify(RESULTS)}::jsonb)`.execute(
            tx,
          ),
        ).catch((e: unknown) => e as { code?: string; hint?: string });
        expect(twice).toMatchObject({ code: "22023", hint: expect.stringContaining("::text::jsonb") });
        expect((await generation(job)).status).toBe("running");
      });
    });

    describe("fail_job", () => {
      it("requeues a retryable failure after the backoff computed in SQL, then fails on the last attempt", async () => {
        const { user, datasetId } = await owner();
        const [job] = await queueJobs(user.id, datasetId, [ago(60)]);
        await su`update public.generation_requests set max_attempts = 2 where id = ${job}`;
        await claim("w1");
        expect(await fail("generation", job, "w1", TRANSIENT, true)).toBe("queued");

        const [{ delay, expected }] = await su<{ delay: number; expected: number }[]>`
        select extract(epoch from run_after - updated_at)::float8 as delay,
               extract(epoch from public.job_retry_delay(id, 1))::float8 as expected
          from public.generation_requests where id = ${job}`;
        expect(delay).toBeCloseTo(expected, 6);
        expect(delay).toBeGreaterThanOrEqual(8);
        expect(delay).toBeLessThanOrEqual(12);
        expect(await generation(job)).toMatchObject({ status: "queued", locked_by: null, error: TRANSIENT });
        expect(await claim("w1")).toEqual([]);

        await su`update public.generation_requests set run_after = now() - interval '1 second' where id = ${job}`;
        expect((await claim("w2"))[0]).toMatchObject({ job_id: job, attempt: 2, max_attempts: 2 });
        expect(await fail("generation", job, "w2", TRANSIENT, true)).toBe("failed");
        const row = await generation(job);
        expect(row).toMatchObject({ status: "failed", error: TRANSIENT, locked_by: null, attempts: 2 });
        expect(row.finished_at).toBeInstanceOf(Date);
      });

      it("fails a non-retryable error at once", async () => {
        const { user, datasetId } = await owner();
        const [job] = await queueJobs(user.id, datasetId, [ago(60)]);
        await claim("w1");
        const error = { code: "INVALID_MODEL_CONFIG", message: "pac must divide batch_size" };
        expect(await fail("generation", job, "w1", error, false)).toBe("failed");
        expect(await generation(job)).toMatchObject({ status: "failed", attempts: 1, error });
      });

      it("computes the backoff as least(3600, 10 * 2^(attempt-1)) seconds within +-20 %, the same every time", async () => {
        const ids = [randomUUID(), randomUUID()];
        const rows = await service(
          sql<{ id: string; attempt: number; seconds: number; again: number }>`
          select j.id, a.attempt,
                 extract(epoch from public.job_retry_delay(j.id, a.attempt))::float8 as seconds,
                 extract(epoch from public.job_retry_delay(j.id, a.attempt))::float8 as again
            from unnest(${ids}::uuid[]) as j(id), generate_series(1, 12) as a(attempt)`,
        );
        expect(rows).toHaveLength(24);
        for (const r of rows) {
          const base = Math.min(3600, 10 * 2 ** (r.attempt - 1));
          expect(r.seconds).toBeGreaterThanOrEqual(base * 0.8 - 1e-6);
          expect(r.seconds).toBeLessThanOrEqual(base * 1.2 + 1e-6);
          expect(r.again).toBe(r.seconds);
        }
        // Spread: the two jobs do not come back at the same moments.
        const of = (id: string) => rows.filter((r) => r.id === id).map((r) => r.seconds);
        expect(of(ids[0])).not.toEqual(of(ids[1]));
      });
    });

    describe("a cancel requested mid-run", () => {
      const requestCancel = (user: TestUser, job: string) =>
        asUser(db, user.claims, (tx) =>
          tx
            .updateTable("generation_requests")
            .set({ cancel_requested: true })
            .where("id", "=", job)
            .execute(),
        );

      it("is reported by renew and progress, and wins over a completion: canceled, results not stored", async () => {
        const { user, datasetId } = await owner();
        const [job] = await queueJobs(user.id, datasetId, [ago(60)]);
        await claim("w1");
        await requestCancel(user, job);
        expect((await generation(job)).status).toBe("running");
        expect((await renew("generation", job, "w1"))[0].cancel_requested).toBe(true);
        expect(await progress("generation", job, "w1", { epoch: 2 })).toEqual([{ cancel_requested: true }]);

        expect(await complete("generation", job, "w1", RESULTS)).toBe(false);
        const row = await generation(job);
        expect(row).toMatchObject({
          status: "canceled",
          result_paths: null,
          quality_summary: null,
          locked_by: null,
        });
        expect(row.finished_at).toBeInstanceOf(Date);
      });

      it("is acknowledged by cancel_job, which refuses when no cancel was asked", async () => {
        const { user, datasetId } = await owner();
        const [job, other] = await queueJobs(user.id, datasetId, [ago(60), ago(30)]);
        await claim("w1");
        await claim("w1");
        expect(await cancel(job, "w1")).toBe(false);
        expect((await generation(job)).status).toBe("running");
        await requestCancel(user, job);
        expect(await cancel(job, "w2")).toBe(false);
        expect(await cancel(job, "w1")).toBe(true);
        expect(await generation(job)).toMatchObject({
          status: "canceled",
          locked_by: null,
          locked_until: null,
        });

        await requestCancel(user, other);
        expect(await fail("generation", other, "w1", TRANSIENT, true)).toBe("canceled");
        expect(await generation(other)).toMatchObject({ status: "canceled", error: null });
      });

      it("ends the job as canceled when its lease expires", async () => {
        const { user, datasetId } = await owner();
        const [job] = await queueJobs(user.id, datasetId, [ago(60)]);
        await claim("w1");
        await requestCancel(user, job);
        await su`update public.generation_requests set locked_until = now() - interval '1 second' where id = ${job}`;
        expect(await reclaim()).toBe(1);
        expect((await generation(job)).status).toBe("canceled");
      });
    });

    describe("dataset validation jobs", () => {
      it("walk uploaded > validating > ready, storing the profile and inferred metadata", async () => {
        const user = await createUser(su);
        const id = await createDataset(su, user.id, "uploaded");
        const [queuedJob] = await queueJobs(user.id, await createDataset(su, user.id), [ago(60)]);
        // A generation-only runner leaves datasets alone.
        expect((await claim("g1", ["generation"])).map((c) => c.job_id)).toEqual([queuedJob]);
        expect(await claim("g1", ["generation"])).toEqual([]);

        const [claimed] = await claim("v1", ["dataset", "generation"]);
        expect(claimed).toMatchObject({
          kind: "dataset",
          job_id: id,
          owner_id: user.id,
          attempt: 1,
          max_attempts: 3,
        });
        expect(await dataset(id)).toMatchObject({ status: "validating", locked_by: "v1", attempts: 1 });
        expect((await renew("dataset", id, "v1"))[0].cancel_requested).toBe(false);
        expect(await progress("dataset", id, "v1", { rows: 10 })).toEqual([{ cancel_requested: false }]);
        expect(await renew("dataset", id, "v2")).toEqual([]);

        const metadata = { columns: [{ name: "age", sdtype: "numerical" }] };
        const sha256 = "a".repeat(64);
        expect(await complete("dataset", id, "v2", { row_count: 1, column_count: 1, profile: {} })).toBe(
          false,
        );
        expect(
          await complete("dataset", id, "v1", {
            row_count: 10,
            column_count: 1,
            profile: { age: { mean: 40 } },
            column_metadata: metadata,
            sha256,
            size_bytes: 123,
          }),
        ).toBe(true);
        expect(await dataset(id)).toMatchObject({
          status: "ready",
          row_count: 10,
          column_count: 1,
          profile: { age: { mean: 40 } },
          column_metadata: metadata,
          sha256,
          locked_by: null,
          locked_until: null,
          error: null,
        });
      });

      it("keep the owner's own column metadata", async () => {
        const user = await createUser(su);
        const [{ id }] = await su<{ id: string }[]>`
        insert into public.datasets (owner_id, name, storage_path, format, column_metadata)
        values (${user.id}, 'own', ${`${user.id}/${randomUUID()}.csv`}, 'csv', '{"columns": [{"name": "age", "sdtype": "categorical"}]}')
        returning id`;
        await claim("v1", ["dataset"]);
        const inferred = { columns: [{ name: "age", sdtype: "numerical" }] };
        expect(
          await complete("dataset", id, "v1", {
            row_count: 3,
            column_count: 1,
            profile: {},
            column_metadata: inferred,
          }),
        ).toBe(true);
        expect((await dataset(id)).column_metadata).toEqual({
          columns: [{ name: "age", sdtype: "categorical" }],
        });
      });

      it("end invalid on a data error, and retry a transient one with backoff up to 3 attempts", async () => {
        const user = await createUser(su);
        const bad = await createDataset(su, user.id, "uploaded");
        await claim("v1", ["dataset"]);
        const ragged = { code: "RAGGED_ROW", message: "row 3 has 4 fields, the header 3" };
        expect(await fail("dataset", bad, "v1", ragged, false)).toBe("invalid");
        expect(await dataset(bad)).toMatchObject({ status: "invalid", error: ragged, locked_by: null });

        const flaky = await createDataset(su, user.id, "uploaded");
        for (let attempt = 1; attempt <= 3; attempt += 1) {
          expect((await claim("v1", ["dataset"]))[0]).toMatchObject({ job_id: flaky, attempt });
          const status = await fail("dataset", flaky, "v1", TRANSIENT, true);
          expect(status).toBe(attempt < 3 ? "uploaded" : "invalid");
          if (attempt < 3) {
            // Not claimable until the backoff has passed since it went back.
            expect(await claim("v1", ["dataset"])).toEqual([]);
            await su.begin(async (tx) => {
              await tx`set local session_replication_role = replica`;
              await tx`update public.datasets set updated_at = now() - interval '2 hours' where id = ${flaky}`;
            });
          }
        }
        expect(await dataset(flaky)).toMatchObject({ status: "invalid", attempts: 3, error: TRANSIENT });
      });

      it("go back to uploaded when their lease expires, and are invalid after the last attempt", async () => {
        const user = await createUser(su);
        const id = await createDataset(su, user.id, "uploaded");
        await claim("v1", ["dataset"]);
        await su`update public.datasets set locked_until = now() - interval '1 second' where id = ${id}`;
        expect(await reclaim()).toBe(1);
        expect(await dataset(id)).toMatchObject({
          status: "uploaded",
          locked_by: null,
          locked_until: null,
          attempts: 1,
        });
        expect((await dataset(id)).error).toMatchObject({ code: "LEASE_LOST" });

        await su`update public.datasets set attempts = 2 where id = ${id}`;
        await su.begin(async (tx) => {
          await tx`set local session_replication_role = replica`;
          await tx`update public.datasets set updated_at = now() - interval '2 hours' where id = ${id}`;
        });
        expect((await claim("v2", ["dataset"]))[0]).toMatchObject({ job_id: id, attempt: 3 });
        await su`update public.datasets set locked_until = now() - interval '1 second' where id = ${id}`;
        expect(await reclaim()).toBe(1);
        expect(await dataset(id)).toMatchObject({ status: "invalid", locked_by: null });
      });

      it("cannot be canceled", async () => {
        const user = await createUser(su);
        const id = await createDataset(su, user.id, "uploaded");
        await claim("v1", ["dataset"]);
        expect(await sqlState(service(sql`select public.cancel_job('dataset', ${id}::uuid, 'v1')`))).toBe(
          "22023",
        );
      });
    });

    describe("runner_heartbeat", () => {
      it("upserts one row per runner", async () => {
        await service(sql`select public.runner_heartbeat('r1', 1, '1.0.0', '{"pid": 1}'::jsonb)`);
        const [first] = await su<{ started_at: Date; last_seen_at: Date }[]>`
        select started_at, last_seen_at from public.runner_heartbeats where runner_id = 'r1'`;
        await service(sql`select public.runner_heartbeat('r1', 3, '1.0.1', '{"pid": 2}'::jsonb)`);
        const rows = await su<
          { started_at: Date; last_seen_at: Date; running_jobs: number; version: string; details: object }[]
        >`select started_at, last_seen_at, running_jobs, version, details from public.runner_heartbeats`;
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ running_jobs: 3, version: "1.0.1", details: { pid: 2 } });
        expect(rows[0].started_at).toEqual(first.started_at);
        expect(rows[0].last_seen_at.getTime()).toBeGreaterThan(first.last_seen_at.getTime());
      });
    });

    describe("privileges", () => {
      it("let only the service role execute the queue functions", async () => {
        const user = await createUser(su);
        const id = randomUUID();
        const calls: RawBuilder<unknown>[] = [
          sql`select * from public.claim_job('w', array['generation'], 60)`,
          sql`select * from public.renew_lease('generation', ${id}::uuid, 'w', 60)`,
          sql`select * from public.report_progress('generation', ${id}::uuid, 'w', '{}'::jsonb)`,
          sql`select public.complete_job('generation', ${id}::uuid, 'w', '{}'::jsonb)`,
          sql`select public.fail_job('generation', ${id}::uuid, 'w', '{}'::jsonb, true)`,
          sql`select public.cancel_job('generation', ${id}::uuid, 'w')`,
          sql`select public.reclaim_expired_leases()`,
          sql`select public.runner_heartbeat('w', 0, 'v', '{}'::jsonb)`,
          sql`select public.job_retry_delay(${id}::uuid, 1)`,
          sql`select public.dataset_max_attempts()`,
          sql`select public.job_queue_check_args('generation', 'w', 60)`,
          sql`select public.job_queue_check_error('{}'::jsonb)`,
          sql`select public.job_queue_check_object('x', '{}'::jsonb)`,
        ];
        for (const call of calls) {
          expect(await sqlState(asUser(db, user.claims, (tx) => call.execute(tx)))).toBe("42501");
          expect(await sqlState(asUser(db, null, (tx) => call.execute(tx)))).toBe("42501");
        }
        expect(await sqlState(service(calls[0]))).toBe("ok");
        // Every one is security invoker with a pinned search_path.
        const rows = await su<{ name: string; definer: boolean; config: string[] | null }[]>`
        select p.proname as name, p.prosecdef as definer, p.proconfig as config from pg_proc p
         where p.pronamespace = 'public'::regnamespace
           and p.proname in ('claim_job', 'renew_lease', 'report_progress', 'complete_job', 'fail_job',
                             'cancel_job', 'reclaim_expired_leases', 'runner_heartbeat')`;
        expect(rows).toHaveLength(8);
        for (const r of rows) {
          expect(r.definer).toBe(false);
          expect(r.config).toContain('search_path=""');
        }
      });
    });
  });
}
