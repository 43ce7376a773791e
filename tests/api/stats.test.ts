import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDataset, createGeneration } from "../db/fixtures.ts";
import { createHarness, type Harness } from "./harness.ts";
import { succeededGeneration } from "./job-fixtures.ts";
import { runMatrix } from "./matrix.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

const problemPaths = (res: { body: { error?: { details: Record<string, unknown> } } }) =>
  ((res.body.error?.details.problems ?? []) as { path: string }[]).map((p) => p.path);

/** The engine's report as the runner stores it: only the part the dashboard reads is filled in. */
const report = (overall: number | null) => ({
  version: 1,
  quality: { allPairs: { overall, columnShapes: overall, columnPairTrends: overall } },
});

interface Dashboard {
  datasets: { total: number; by_status: Record<string, number> };
  jobs: { total: number; by_status: Record<string, number> };
  rows_generated: number;
  quality: { mean_overall: number | null; scored_jobs: number; score_path: string };
  recent_jobs: { id: string; status: string; sample_size: number }[];
}

describe("GET /stats/dashboard", () => {
  it("counts the caller's datasets and jobs by status, rows generated and mean quality", async () => {
    const user = await h.user();
    const other = await h.user();
    const ready = await createDataset(h.su, user.id);
    await createDataset(h.su, user.id, "invalid");
    await createDataset(h.su, user.id, "uploaded");
    const a = await succeededGeneration(h.su, user.id, ready, {
      sampleSize: 250,
      qualitySummary: report(0.8),
    });
    await succeededGeneration(h.su, user.id, ready, { sampleSize: 50, qualitySummary: report(0.6) });
    // Succeeded without a score (older summary or none): rows count, quality does not.
    await succeededGeneration(h.su, user.id, ready, { sampleSize: 7, qualitySummary: { version: 1 } });
    await succeededGeneration(h.su, user.id, ready, { sampleSize: 3, qualitySummary: report(null) });
    const queued = await createGeneration(h.su, user.id, ready);
    // Someone else's numbers never leak in.
    const theirs = await createDataset(h.su, other.id);
    await succeededGeneration(h.su, other.id, theirs, { sampleSize: 999, qualitySummary: report(0.1) });

    const res = await h.call("/stats/dashboard", { token: user.token });
    expect(res.status).toBe(200);
    const d = res.body.data as Dashboard;
    expect(d.datasets).toEqual({ total: 3, by_status: { uploaded: 1, validating: 0, ready: 1, invalid: 1 } });
    expect(d.jobs.total).toBe(5);
    expect(d.jobs.by_status).toMatchObject({ succeeded: 4, queued: 1, running: 0, failed: 0 });
    expect(d.rows_generated).toBe(250 + 50 + 7 + 3);
    expect(d.quality.scored_jobs).toBe(2);
    expect(d.quality.mean_overall).toBeCloseTo(0.7, 10);
    expect(d.quality.score_path).toBe("quality.allPairs.overall");
    expect(d.recent_jobs).toHaveLength(5);
    expect(d.recent_jobs.map((j) => j.id)).toContain(queued);
    expect(d.recent_jobs.map((j) => j.id)).toContain(a);
  });

  it("answers zeros and a null mean for a new user", async () => {
    const user = await h.user();
    const d = (await h.call("/stats/dashboard", { token: user.token })).body.data as Dashboard;
    expect(d).toMatchObject({
      rows_generated: 0,
      datasets: { total: 0 },
      jobs: { total: 0 },
      recent_jobs: [],
    });
    expect(d.quality).toMatchObject({ mean_overall: null, scored_jobs: 0 });
  });

  it("authorisation: the caller's own numbers only, admins included", async () => {
    await runMatrix(h, {
      arrange: async (_h, owner) => {
        const dataset = await createDataset(h.su, owner.id);
        return createGeneration(h.su, owner.id, dataset);
      },
      act: (_h, caller) => h.call("/stats/dashboard", { token: caller?.token }),
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
      check: (res, who, job) => {
        const d = res.body.data as Dashboard;
        expect(d.datasets.total, who).toBe(who === "owner" ? 1 : 0);
        expect(d.recent_jobs.map((j) => j.id).includes(job), who).toBe(who === "owner");
      },
    });
  });
});

interface Usage {
  since: string;
  days: {
    day: string;
    requests: number;
    generation_requests: number;
    rows_generated: number;
    datasets_uploaded: number;
  }[];
  totals: {
    requests: number;
    generation_requests: number;
    rows_generated: number;
    datasets_uploaded: number;
  };
}

describe("GET /stats/usage", () => {
  it("answers every day of the window, today with the caller's requests, jobs, rows and datasets", async () => {
    const user = await h.user();
    for (let i = 0; i < 3; i++) await h.call("/notifications", { token: user.token });
    const dataset = await createDataset(h.su, user.id);
    await succeededGeneration(h.su, user.id, dataset, { sampleSize: 42 });
    await h.deps.requestLog.flush();
    const res = await h.call("/stats/usage?days=7", { token: user.token });
    expect(res.status).toBe(200);
    const u = res.body.data as Usage;
    expect(u.days).toHaveLength(7);
    const today = new Date().toISOString().slice(0, 10);
    expect(u.days.at(-1)).toEqual({
      day: today,
      requests: 3,
      generation_requests: 1,
      rows_generated: 42,
      datasets_uploaded: 1,
    });
    expect(u.since).toBe(u.days[0].day);
    expect(u.days.slice(0, 6).every((d) => d.requests === 0)).toBe(true);
    expect(u.totals).toEqual({
      requests: 3,
      generation_requests: 1,
      rows_generated: 42,
      datasets_uploaded: 1,
    });
    const month = (await h.call("/stats/usage", { token: user.token })).body.data as Usage;
    expect(month.days).toHaveLength(30);
  });

  it("refuses a bad window with 400 and its path", async () => {
    const user = await h.user();
    for (const q of ["days=0", "days=367", "days=two"]) {
      const res = await h.call(`/stats/usage?${q}`, { token: user.token });
      expect(res.status, q).toBe(400);
      expect(problemPaths(res), q).toEqual(["days"]);
    }
  });

  it("authorisation: own usage only", async () => {
    await runMatrix(h, {
      arrange: async (_h, owner) => createDataset(h.su, owner.id),
      act: (_h, caller) => h.call("/stats/usage?days=1", { token: caller?.token }),
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
      check: (res, who) => {
        expect((res.body.data as Usage).totals.datasets_uploaded, who).toBe(who === "owner" ? 1 : 0);
      },
    });
  });
});

interface Performance {
  since: string;
  scope: "own" | "all";
  routes: {
    route: string;
    method: string;
    requests: number;
    errors: number;
    client_errors: number;
    error_rate: number;
    p50_ms: number;
    p95_ms: number;
    p99_ms: number;
  }[];
}

describe("GET /stats/performance", () => {
  it("computes per-route counts, error rates and ordered percentiles from real request-log rows", async () => {
    const user = await h.user();
    for (let i = 0; i < 6; i++) await h.call("/notifications?page_size=5", { token: user.token });
    for (let i = 0; i < 3; i++) {
      await h.call(`/notifications/${randomUUID()}`, { method: "DELETE", token: user.token });
    }
    await h.deps.requestLog.flush();
    const res = await h.call("/stats/performance?hours=1", { token: user.token });
    expect(res.status).toBe(200);
    const p = res.body.data as Performance;
    expect(p.scope).toBe("own");
    const list = p.routes.find((r) => r.route === "/api/notifications" && r.method === "GET");
    const del = p.routes.find((r) => r.route === "/api/notifications/:id" && r.method === "DELETE");
    expect(list).toMatchObject({ requests: 6, errors: 0, client_errors: 0, error_rate: 0 });
    expect(del).toMatchObject({ requests: 3, errors: 0, client_errors: 3, error_rate: 0 });
    // Most requested first, and only this user's routes.
    expect(p.routes.map((r) => r.route)).toEqual(["/api/notifications", "/api/notifications/:id"]);
    for (const r of [list!, del!]) {
      expect(r.p50_ms).toBeGreaterThanOrEqual(0);
      expect(r.p50_ms).toBeLessThanOrEqual(r.p95_ms);
      expect(r.p95_ms).toBeLessThanOrEqual(r.p99_ms);
    }
    // The percentiles are those of the logged durations (median of six: between the 3rd and 4th).
    const durations = (
      await h.su<{ d: number }[]>`select duration_ms as d from public.api_request_logs
                                  where user_id = ${user.id} and route = '/api/notifications' order by 1`
    ).map((r) => r.d);
    expect(durations).toHaveLength(6);
    expect(list!.p50_ms).toBeCloseTo((durations[2] + durations[3]) / 2, 6);
    expect(list!.p99_ms).toBeLessThanOrEqual(durations[5]);

    const admin = await h.user({ admin: true });
    const all = (await h.call("/stats/performance?hours=1", { token: admin.token })).body.data as Performance;
    expect(all.scope).toBe("all");
    expect(
      all.routes.find((r) => r.route === "/api/notifications" && r.method === "GET")!.requests,
    ).toBeGreaterThanOrEqual(6);
  });

  it("refuses a bad window with 400 and its path", async () => {
    const user = await h.user();
    const res = await h.call("/stats/performance?hours=0", { token: user.token });
    expect(res.status).toBe(400);
    expect(problemPaths(res)).toEqual(["hours"]);
  });

  it("authorisation: users see their own lines, admins everyone's", async () => {
    await runMatrix(h, {
      arrange: async (_h, owner) => {
        await h.call("/auth/me", { token: owner.token });
        await h.deps.requestLog.flush();
        return owner;
      },
      act: (_h, caller) => h.call("/stats/performance?hours=1", { token: caller?.token }),
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
      check: (res, who) => {
        const p = res.body.data as Performance;
        const me = p.routes.find((r) => r.route === "/api/auth/me");
        if (who === "owner") expect(me?.requests).toBe(1);
        if (who === "other") expect(me).toBeUndefined();
        if (who === "admin") expect(me?.requests).toBeGreaterThanOrEqual(1);
      },
    });
  });
});

describe("GET /stats/system", () => {
  it("gives admins users, jobs per status, queue waits, live runners and storage bytes", async () => {
    const admin = await h.user({ admin: true });
    const owner = await h.user();
    const runner = `runner-${randomUUID()}`;
    await h.su`insert into public.runner_heartbeats (runner_id, running_jobs, version) values (${runner}, 2, '9.9.9')`;
    await h.su`insert into storage.objects (bucket_id, name, owner, metadata)
               values ('reports', ${`${owner.id}/${randomUUID()}.html`}, ${owner.id}, '{"size": 4321}')`;
    const res = await h.call("/stats/system", { token: admin.token });
    expect(res.status).toBe(200);
    const s = res.body.data as {
      users: { total: number; admins: number };
      jobs: { generation_requests: Record<string, number> };
      queue_wait_seconds: { p50: number | null; p95: number | null };
      storage: {
        objects: number;
        bytes: number;
        buckets: Record<string, { objects: number; bytes: number }>;
      };
      runners: { active: number; list: { runner_id: string; running_jobs: number }[] };
    };
    expect(s.users.total).toBeGreaterThanOrEqual(2);
    expect(s.users.admins).toBeGreaterThanOrEqual(1);
    expect(Object.keys(s.jobs.generation_requests).sort()).toEqual([
      "canceled",
      "failed",
      "pending_approval",
      "queued",
      "rejected",
      "running",
      "succeeded",
    ]);
    expect(s.runners.list).toContainEqual(expect.objectContaining({ runner_id: runner, running_jobs: 2 }));
    expect(s.storage.buckets.reports.bytes).toBeGreaterThanOrEqual(4321);
    const buckets = Object.values(s.storage.buckets);
    expect(s.storage.bytes).toBe(buckets.reduce((n, b) => n + b.bytes, 0));
    expect(s.storage.objects).toBe(buckets.reduce((n, b) => n + b.objects, 0));
    if (s.queue_wait_seconds.p50 !== null) {
      expect(s.queue_wait_seconds.p50).toBeLessThanOrEqual(s.queue_wait_seconds.p95!);
    }
  });

  it("authorisation: administrators only", async () => {
    await runMatrix(h, {
      arrange: async () => null,
      act: (_h, caller) => h.call("/stats/system", { token: caller?.token }),
      expect: { anon: 401, owner: 403, other: 403, disabled: 403, admin: 200 },
    });
  });
});
