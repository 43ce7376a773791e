import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, type JwtClaims } from "../../shared/platform/db.ts";
import {
  routeStatsRowSchema,
  systemStatsSchema,
  usageDayRowSchema,
  type RouteStatsRow,
  type SystemStats,
} from "../../shared/platform/stats.ts";
import {
  createDataset,
  createGeneration,
  createUser,
  openDb,
  sqlState,
  type DbFixture,
  type TestUser,
} from "./fixtures.ts";

/**
 * api_route_stats(), usage_by_day() and admin_system_stats(), called as the API calls them (asUser, role
 * authenticated), so RLS and the admin check decide what each caller gets.
 */
let fx: DbFixture;
let a: TestUser;
let b: TestUser;
let admin: TestUser;
let fakeAdmin: TestUser;

beforeAll(async () => {
  fx = openDb();
  a = await createUser(fx.su);
  b = await createUser(fx.su);
  admin = await createUser(fx.su, { admin: true });
  fakeAdmin = await createUser(fx.su, { userMetadata: { role: "admin" } });
});
afterAll(async () => {
  await fx.close();
});

/** percentile_cont: linear interpolation between the closest ranks of the sorted values. */
function percentileCont(sorted: number[], fraction: number): number {
  const rank = fraction * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

async function routeStats(claims: JwtClaims, since: Date, onlyMine?: boolean): Promise<RouteStatsRow[]> {
  return asUser(fx.db, claims, async (tx) => {
    const call =
      onlyMine === undefined
        ? sql<unknown>`select * from public.api_route_stats(${since})`
        : sql<unknown>`select * from public.api_route_stats(${since}, ${onlyMine})`;
    return (await call.execute(tx)).rows.map((r) => routeStatsRowSchema.parse(r));
  });
}

/** Inserts one API log line per duration, with the given statuses (cycled), at `at`. */
async function logLines(
  user: TestUser,
  route: string,
  method: string,
  durations: number[],
  statuses: number[],
  at = "now()",
) {
  for (const [i, duration] of durations.entries()) {
    await fx.su`insert into public.api_request_logs (request_id, user_id, method, route, status, duration_ms, created_at)
                values (${randomUUID()}, ${user.id}, ${method}, ${route}, ${statuses[i % statuses.length]},
                        ${duration}, ${fx.su.unsafe(at)})`;
  }
}

describe("api_route_stats", () => {
  const route = `/stats-test/${randomUUID()}`;
  const since = new Date(Date.now() - 3_600_000);
  // 100 requests of A: durations a seeded shuffle of 1..100; 5 server errors, 10 client errors.
  const durations = Array.from({ length: 100 }, (_, i) => i + 1);
  let seed = 42;
  for (let i = durations.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [durations[i], durations[j]] = [durations[j], durations[i]];
  }
  const statuses = durations.map((_, i) => (i < 5 ? 503 : i < 15 ? 404 : 200));

  beforeAll(async () => {
    await fx.su`insert into public.api_request_logs (request_id, user_id, method, route, status, duration_ms)
                select gen_random_uuid()::text, ${a.id}, 'GET', ${route}, s, d
                  from unnest(${statuses}::int[], ${durations}::int[]) as t(s, d)`;
    await logLines(a, route, "POST", [7, 9], [201, 500]);
    await logLines(b, route, "GET", [1000, 2000, 3000], [200]);
    // Before `since`: counted by nobody.
    await logLines(a, route, "GET", [99999], [500], "now() - interval '2 hours'");
  });

  it("gives a user their own routes: counts, server and client errors, and continuous percentiles", async () => {
    const mine = (await routeStats(a.claims, since)).filter((r) => r.route === route);
    const sorted = [...durations].sort((x, y) => x - y);
    expect(mine).toEqual([
      {
        route,
        method: "GET",
        requests: "100",
        errors: "5",
        client_errors: "10",
        error_rate: 0.05,
        p50_ms: percentileCont(sorted, 0.5),
        p95_ms: percentileCont(sorted, 0.95),
        p99_ms: percentileCont(sorted, 0.99),
      },
      {
        route,
        method: "POST",
        requests: "2",
        errors: "1",
        client_errors: "0",
        error_rate: 0.5,
        p50_ms: 8,
        p95_ms: 7 + 2 * 0.95,
        p99_ms: 7 + 2 * 0.99,
      },
    ]);
    expect(mine[0].p50_ms).toBe(50.5);
    // only_mine = false cannot widen what RLS shows a user.
    expect((await routeStats(a.claims, since, false)).filter((r) => r.route === route)).toEqual(mine);
  });

  it("gives an admin every user's lines with only_mine = false, and only their own by default", async () => {
    const all = (await routeStats(admin.claims, since, false)).filter((r) => r.route === route);
    expect(all.map((r) => [r.method, r.requests, r.errors])).toEqual([
      ["GET", "103", "5"],
      ["POST", "2", "1"],
    ]);
    const sorted = [...durations, 1000, 2000, 3000].sort((x, y) => x - y);
    expect(all[0].p99_ms).toBeCloseTo(percentileCont(sorted, 0.99), 9);
    expect((await routeStats(admin.claims, since)).filter((r) => r.route === route)).toEqual([]);
    expect((await routeStats(b.claims, since, false)).filter((r) => r.route === route)).toEqual([
      expect.objectContaining({ method: "GET", requests: "3", p50_ms: 2000 }),
    ]);
  });

  it("is not callable by anon", async () => {
    expect(
      await sqlState(
        asUser(fx.db, null, (tx) => sql`select * from public.api_route_stats(now())`.execute(tx)),
      ),
    ).toBe("42501");
  });
});

describe("usage_by_day", () => {
  const utcDay = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  const at = (daysAgo: number) => `'${utcDay(daysAgo)}T12:00:00Z'::timestamptz`;

  /** Walks a fresh request to succeeded, finishing at `finishedAt` (whatever the approval setting is). */
  async function succeed(id: string, finishedAt: string) {
    await fx.su`update public.generation_requests set status = 'queued' where id = ${id} and status = 'pending_approval'`;
    await fx.su`update public.generation_requests set status = 'running', locked_by = 'r', locked_until = now() + interval '1 minute' where id = ${id}`;
    await fx.su`update public.generation_requests set status = 'succeeded', finished_at = ${fx.su.unsafe(finishedAt)} where id = ${id}`;
  }

  it("answers the caller's own usage for every UTC day since `since`, zeros included", async () => {
    const user = await createUser(fx.su);
    const dataset = await createDataset(fx.su, user.id);
    const older = await createDataset(fx.su, user.id);
    await fx.su`update public.datasets set created_at = ${fx.su.unsafe(at(2))} where id = ${older}`;
    await logLines(user, "/datasets", "GET", [1, 2, 3], [200], at(0));
    await logLines(user, "/datasets", "GET", [1], [200], at(2));
    await logLines(user, "/datasets", "GET", [1], [200], at(9));
    // Another user's lines and jobs, on the same days: never counted for `user`.
    await logLines(b, "/datasets", "GET", [1, 1], [200], at(0));
    const first = await createGeneration(fx.su, user.id, dataset);
    const second = await createGeneration(fx.su, user.id, dataset);
    const unfinished = await createGeneration(fx.su, user.id, dataset);
    await fx.su`update public.generation_requests set created_at = ${fx.su.unsafe(at(3))} where id in ${fx.su([first, second])}`;
    await succeed(first, at(2));
    await succeed(second, at(2));
    await fx.su`update public.generation_requests set created_at = ${fx.su.unsafe(at(1))} where id = ${unfinished}`;
    const otherDataset = await createDataset(fx.su, b.id);
    await succeed(await createGeneration(fx.su, b.id, otherDataset), at(2));

    const rows = await asUser(fx.db, user.claims, async (tx) =>
      (await sql<unknown>`select * from public.usage_by_day(${utcDay(4)}::date)`.execute(tx)).rows.map(
        (r) => {
          const row = usageDayRowSchema.parse(r);
          return { ...row, day: row.day.toISOString().slice(0, 10) };
        },
      ),
    );
    const day = (
      daysAgo: number,
      requests: number,
      generations: number,
      rowsOut: number,
      datasets: number,
    ) => ({
      day: utcDay(daysAgo),
      requests: String(requests),
      generation_requests: String(generations),
      rows_generated: String(rowsOut),
      datasets_uploaded: String(datasets),
    });
    expect(rows).toEqual([
      day(4, 0, 0, 0, 0),
      day(3, 0, 2, 0, 0),
      day(2, 1, 0, 200, 1),
      day(1, 0, 1, 0, 0),
      day(0, 3, 0, 0, 1),
    ]);
    // An admin's usage is their own too.
    const adminRows = await asUser(
      fx.db,
      admin.claims,
      async (tx) =>
        (
          await sql<{
            n: string;
          }>`select sum(requests + generation_requests)::text as n from public.usage_by_day(${utcDay(4)}::date)`.execute(
            tx,
          )
        ).rows,
    );
    expect(adminRows).toEqual([{ n: "0" }]);
  });

  it("refuses a missing or too old `since`, and answers nothing for a future one", async () => {
    const call = (since: string | null) =>
      asUser(fx.db, a.claims, (tx) => sql`select * from public.usage_by_day(${since}::date)`.execute(tx));
    expect(await sqlState(call(null))).toBe("22023");
    expect(await sqlState(call("1990-01-01"))).toBe("22023");
    expect((await call(utcDay(-3))).rows).toEqual([]);
    expect((await call(utcDay(0))).rows).toHaveLength(1);
  });
});

/** The same numbers as admin_system_stats() answers, counted independently (as postgres). */
interface ExpectedStats {
  users: SystemStats["users"];
  generation_running: number;
  optimization_queued: number;
  waits: number[];
  reports: { objects: number; bytes: number };
  buckets: string[];
  live_runners: number;
}

describe("admin_system_stats", () => {
  it("refuses everyone but an active admin", async () => {
    const call = (claims: JwtClaims | null) =>
      sqlState(asUser(fx.db, claims, (tx) => sql`select public.admin_system_stats()`.execute(tx)));
    expect(await call(null)).toBe("42501");
    expect(await call(a.claims)).toBe("42501");
    expect(await call(fakeAdmin.claims)).toBe("42501");
    expect(await call(admin.claims)).toBe("ok");
  });

  it("counts users, jobs, queue waits, storage and live runners exactly as the tables say", async () => {
    const banned = await createUser(fx.su);
    await fx.su`update auth.users set banned_until = now() + interval '1 day' where id = ${banned.id}`;
    const dataset = await createDataset(fx.su, a.id);
    const started = await createGeneration(fx.su, a.id, dataset);
    await fx.su`update public.generation_requests set status = 'queued' where id = ${started} and status = 'pending_approval'`;
    await fx.su`update public.generation_requests set created_at = now() - interval '90 seconds' where id = ${started}`;
    await fx.su`update public.generation_requests set status = 'running', locked_by = 'r', locked_until = now() + interval '1 minute' where id = ${started}`;
    await fx.su`insert into storage.objects (bucket_id, name, owner, metadata)
                values ('reports', ${`${a.id}/${randomUUID()}.html`}, ${a.id}, '{"size": 1234}'),
                       ('reports', ${`${a.id}/${randomUUID()}.html`}, ${a.id}, '{"size": "garbage"}')`;
    const live = `live-${randomUUID()}`;
    const gone = `gone-${randomUUID()}`;
    await fx.su`insert into public.runner_heartbeats (runner_id, running_jobs, version, details, last_seen_at)
                values (${live}, 2, '1.2.3', '{"host": "a"}', now() - interval '30 seconds'),
                       (${gone}, 1, '1.2.2', '{}', now() - interval '6 minutes')`;

    // One repeatable-read snapshot for the independent counts (as postgres) and the call (as the admin),
    // so tests running in parallel cannot make them disagree.
    const { stats, expected } = await fx.su.begin("isolation level repeatable read", async (tx) => {
      const [row] = await tx<{ expected: ExpectedStats }[]>`
        select jsonb_build_object(
          'users', (select jsonb_build_object('total', count(*),
                      'disabled', count(*) filter (where banned_until > now()),
                      'deleted', count(*) filter (where deleted_at is not null),
                      'admins', count(*) filter (where raw_app_meta_data ->> 'role' = 'admin')) from auth.users),
          'generation_running', (select count(*) from public.generation_requests where status = 'running'),
          'optimization_queued', (select count(*) from public.optimization_runs where status = 'queued'),
          'waits', (select coalesce(jsonb_agg(extract(epoch from started_at - coalesce(approved_at, created_at))::float8), '[]')
                      from public.generation_requests where started_at >= now() - interval '7 days'),
          'reports', (select jsonb_build_object('objects', count(*),
                        'bytes', coalesce(sum((metadata ->> 'size')::bigint) filter (where metadata ->> 'size' ~ '^[0-9]+$'), 0))
                        from storage.objects where bucket_id = 'reports'),
          'buckets', (select jsonb_agg(id order by id) from storage.buckets),
          'live_runners', (select count(*) from public.runner_heartbeats where last_seen_at > now() - interval '5 minutes')
        ) as expected`;
      await tx`select set_config('role', 'authenticated', true),
                      set_config('request.jwt.claims', ${JSON.stringify(admin.claims)}, true)`;
      const [call] = await tx<{ stats: unknown }[]>`select public.admin_system_stats() as stats`;
      return { stats: systemStatsSchema.parse(call.stats), expected: row.expected };
    });

    expect(stats.users).toEqual(expected.users);
    expect(stats.users.disabled).toBeGreaterThanOrEqual(1);
    expect(Object.keys(stats.jobs.generation_requests).sort()).toEqual([
      "canceled",
      "failed",
      "pending_approval",
      "queued",
      "rejected",
      "running",
      "succeeded",
    ]);
    expect(stats.jobs.generation_requests.running).toBe(expected.generation_running);
    expect(stats.jobs.generation_requests.running).toBeGreaterThanOrEqual(1);
    expect(stats.jobs.optimization_runs.queued).toBe(expected.optimization_queued);
    const waits = [...expected.waits].sort((x, y) => x - y);
    expect(stats.queue_wait_seconds.samples).toBe(waits.length);
    expect(stats.queue_wait_seconds.p50).toBeCloseTo(percentileCont(waits, 0.5), 6);
    expect(stats.queue_wait_seconds.p95).toBeCloseTo(percentileCont(waits, 0.95), 6);
    expect(Math.max(...waits)).toBeGreaterThanOrEqual(90);
    // jsonb orders keys by length first: compare as sets.
    expect(Object.keys(stats.storage).sort()).toEqual(expected.buckets);
    expect(stats.storage.reports).toEqual(expected.reports);
    expect(stats.storage.reports.bytes).toBeGreaterThanOrEqual(1234);
    expect(stats.runners.active).toBe(expected.live_runners);
    const ids = (stats.runners.list as { runner_id: string }[]).map((r) => r.runner_id);
    expect(ids).toContain(live);
    expect(ids).not.toContain(gone);
    expect(stats.runners.list.find((r: { runner_id: string }) => r.runner_id === live)).toEqual({
      runner_id: live,
      running_jobs: 2,
      version: "1.2.3",
      details: { host: "a" },
      started_at: expect.any(String),
      last_seen_at: expect.any(String),
    });
  });
});
