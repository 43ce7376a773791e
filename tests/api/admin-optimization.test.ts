import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, readyDataset } from "./generation-fixtures.ts";
import { createHarness, type ApiUser, type Harness } from "./harness.ts";
import { runMatrix, type Who } from "./matrix.ts";

/**
 * Studies that wait for approval (generation_requires_approval on) and the admin's decision on them:
 * POST /admin/optimization/approve/{id} and /admin/optimization/reject/{id}.
 */
let h: Harness;
beforeAll(async () => {
  // Its own database: the approval switch and the trials proposed here must be this file's only.
  h = await createHarness({ ownDatabase: true });
  await h.su`update public.platform_settings set value = 'true' where key = 'generation_requires_approval'`;
});
afterAll(async () => h.close());

const ADMIN_ONLY: Record<Who, number> = { anon: 401, owner: 403, other: 403, disabled: 403, admin: 200 };

interface Study {
  id: string;
  status: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_reason: string | null;
}

/** A study started through the API while approval is required: it waits, with no trial proposed. */
async function pendingStudy(
  owner: ApiUser,
  budget: Record<string, unknown> = { trials: 4 },
): Promise<string> {
  const dataset = await readyDataset(h, owner);
  const res = await post(h, "/optimization/start", owner, {
    dataset_id: dataset,
    model: "tvae",
    method: "random",
    space: { epochs: [1, 3], batch_size: [50, 500] },
    budget,
    seed: 3,
    parallelism: 2,
  });
  expect(res.status, res.text).toBe(201);
  expect(res.body.data).toMatchObject({ status: "pending_approval", trials_queued: 0 });
  return (res.body.data as { id: string }).id;
}

const statusOf = async (id: string) =>
  (await h.su<{ status: string }[]>`select status from public.optimization_runs where id = ${id}`)[0]?.status;
const queuedTrials = async (id: string) =>
  (
    await h.su<{ n: number }[]>`
      select count(*)::int as n from public.optimization_trials where run_id = ${id} and status = 'queued'`
  )[0].n;
const logsFor = (id: string) =>
  h.su<{ admin_id: string; action: string; target_table: string; reason: string | null }[]>`
    select admin_id, action, target_table, reason from public.admin_action_logs where target_id = ${id} order by id`;
const decide = (verb: "approve" | "reject", id: string, caller: ApiUser | null, json?: unknown) =>
  h.call(`/admin/optimization/${verb}/${id}`, { method: "POST", token: caller?.token ?? null, json });

describe("POST /admin/optimization/approve/{id}", () => {
  it("queues the study and proposes its first trials at once; one log line; the owner sees who and why", async () => {
    const [admin, owner] = [await h.user({ admin: true }), await h.user()];
    const id = await pendingStudy(owner);
    expect(await queuedTrials(id)).toBe(0);
    const res = await decide("approve", id, admin, { reason: "aggregate data only" });
    expect(res.status, res.text).toBe(200);
    const study = res.body.data as Study;
    expect(study).toMatchObject({
      id,
      status: "queued",
      decided_by: admin.id,
      decision_reason: "aggregate data only",
    });
    expect(Date.parse(study.decided_at ?? "")).toBeGreaterThan(Date.now() - 60_000);
    expect(await queuedTrials(id)).toBe(2);
    expect(await logsFor(id)).toEqual([
      {
        admin_id: admin.id,
        action: "approve_optimization",
        target_table: "optimization_runs",
        reason: "aggregate data only",
      },
    ]);
    const seen = await h.call(`/optimization/trials/${id}`, { token: owner.token });
    expect(seen.status).toBe(200);
    expect((seen.body.data as { run: Study }).run).toMatchObject({ status: "queued", decided_by: admin.id });
    // Decided: a second decision either way is a conflict and logs nothing.
    expect((await decide("approve", id, admin)).status).toBe(409);
    expect((await decide("reject", id, admin, { reason: "no" })).status).toBe(409);
    expect(await logsFor(id)).toHaveLength(1);
  });

  it("counts the wall-time budget from the decision, not from the wait", async () => {
    const [admin, owner] = [await h.user({ admin: true }), await h.user()];
    const id = await pendingStudy(owner, { trials: 4, time: "30m" });
    await h.su`update public.optimization_runs set created_at = now() - interval '2 hours' where id = ${id}`;
    const res = await decide("approve", id, admin);
    expect(res.status, res.text).toBe(200);
    expect(await statusOf(id)).toBe("queued");
    expect(await queuedTrials(id)).toBe(2);
  });

  it("answers 404 for an unknown study, 409 for one not waiting, 403 for the admin's own", async () => {
    const admin = await h.user({ admin: true });
    expect((await decide("approve", randomUUID(), admin)).status).toBe(404);
    const own = await pendingStudy(admin);
    const mine = await decide("approve", own, admin);
    expect(mine.status).toBe(403);
    expect(mine.body.error?.code).toBe("FORBIDDEN");
    expect((await decide("reject", own, admin, { reason: "mine" })).status).toBe(403);
    expect(await statusOf(own)).toBe("pending_approval");
    expect(await logsFor(own)).toEqual([]);
    const other = await h.user({ admin: true });
    expect((await decide("approve", own, other)).status).toBe(200);
    const again = await decide("approve", own, other);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: "CONFLICT", details: { status: "queued" } });
  });

  it("authorisation matrix", async () => {
    await runMatrix(h, {
      arrange: async (_h, owner) => pendingStudy(owner),
      act: (_h, caller, id) => decide("approve", id, caller),
      expect: ADMIN_ONLY,
      check: async (_res, _who, id) => {
        expect(await statusOf(id)).toBe("queued");
        expect(await logsFor(id)).toHaveLength(1);
      },
    });
  });
});

describe("POST /admin/optimization/reject/{id}", () => {
  it("rejects with a reason the owner reads; no trial is ever proposed; one log line", async () => {
    const [admin, owner] = [await h.user({ admin: true }), await h.user()];
    const id = await pendingStudy(owner);
    for (const json of [undefined, {}, { reason: "  " }, { reason: "x".repeat(2001) }]) {
      expect((await decide("reject", id, admin, json)).status, JSON.stringify(json)).toBe(400);
    }
    expect(await statusOf(id)).toBe("pending_approval");
    const res = await decide("reject", id, admin, { reason: "the dataset holds personal data" });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toMatchObject({
      id,
      status: "rejected",
      decided_by: admin.id,
      decision_reason: "the dataset holds personal data",
    });
    expect(await queuedTrials(id)).toBe(0);
    expect(await logsFor(id)).toEqual([
      {
        admin_id: admin.id,
        action: "reject_optimization",
        target_table: "optimization_runs",
        reason: "the dataset holds personal data",
      },
    ]);
    const seen = await h.call(`/optimization/best/${id}`, { token: owner.token });
    expect(JSON.stringify(seen.body)).toContain("rejected");
  });

  it("authorisation matrix", async () => {
    await runMatrix(h, {
      arrange: async (_h, owner) => pendingStudy(owner),
      act: (_h, caller, id) => decide("reject", id, caller, { reason: "no" }),
      expect: ADMIN_ONLY,
      check: async (_res, _who, id) => {
        expect(await statusOf(id)).toBe("rejected");
        expect(await logsFor(id)).toHaveLength(1);
      },
    });
  });
});
