import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asServiceRole, asUser, type JwtClaims } from "../../shared/platform/db.ts";
import {
  createDataset,
  createGeneration,
  createPendingGeneration,
  createUser,
  openDb,
  sqlState,
  type DbFixture,
  type TestUser,
} from "./fixtures.ts";

/**
 * The Studio views (security_invoker: the base tables' RLS applies to whoever reads them) and the Studio
 * decision path (the SQL editor runs as postgres, without a JWT).
 */
let fx: DbFixture;
let a: TestUser;
let b: TestUser;
let admin: TestUser;

beforeAll(async () => {
  fx = openDb();
  a = await createUser(fx.su);
  b = await createUser(fx.su);
  admin = await createUser(fx.su, { admin: true });
});
afterAll(async () => {
  await fx.close();
});

interface QueueRow {
  id: string;
  kind: string;
  owner_id: string;
  status: string;
  wait_seconds: number;
  lease_expired: boolean;
  locked_by: string | null;
}

const queueAs = (claims: JwtClaims) =>
  asUser(
    fx.db,
    claims,
    async (tx) => (await sql<QueueRow>`select * from public.admin_queue`.execute(tx)).rows,
  );

const pendingGeneration = (owner: TestUser): Promise<string> => createPendingGeneration(fx.su, owner.id);

describe("admin_queue", () => {
  it("lists active jobs of both queues: a user sees their own, an admin everyone's", async () => {
    const datasetA = await createDataset(fx.su, a.id);
    const queued = await createGeneration(fx.su, a.id, datasetA);
    const running = await createGeneration(fx.su, a.id, datasetA);
    await fx.su`update public.generation_requests set status = 'queued' where id = ${running} and status = 'pending_approval'`;
    await fx.su`update public.generation_requests set status = 'running', locked_by = 'runner-x',
                  locked_until = now() - interval '1 second', created_at = now() - interval '1 minute' where id = ${running}`;
    const [run] = await fx.su<{ id: string }[]>`
      insert into public.optimization_runs (owner_id, dataset_id, model_type, method, search_space)
      values (${a.id}, ${datasetA}, 'tvae', 'random', '{"epochs": [10, 20]}') returning id`;
    const finished = await createGeneration(fx.su, a.id, datasetA);
    await fx.su`update public.generation_requests set cancel_requested = true where id = ${finished}`;
    const datasetB = await createDataset(fx.su, b.id);
    const theirs = await createGeneration(fx.su, b.id, datasetB);

    const mine = await queueAs(a.claims);
    expect(mine.every((r) => r.owner_id === a.id)).toBe(true);
    expect(mine.map((r) => `${r.kind}:${r.id}`).sort()).toEqual(
      [`generation:${queued}`, `generation:${running}`, `optimization:${run.id}`].sort(),
    );
    const runningRow = mine.find((r) => r.id === running);
    expect(runningRow).toMatchObject({ status: "running", locked_by: "runner-x", lease_expired: true });
    expect(runningRow?.wait_seconds).toBeGreaterThanOrEqual(59);
    expect(mine.find((r) => r.id === queued)?.lease_expired).toBe(false);
    for (const row of mine) expect(row.wait_seconds).toBeGreaterThanOrEqual(0);

    const everyone = (await queueAs(admin.claims)).map((r) => r.id);
    expect(everyone).toEqual(expect.arrayContaining([queued, running, run.id, theirs]));
    expect(everyone).not.toContain(finished);
    expect((await queueAs(b.claims)).map((r) => r.id)).toEqual([theirs]);
  });

  it("is not readable by anon", async () => {
    expect(
      await sqlState(asUser(fx.db, null, (tx) => sql`select * from public.admin_queue`.execute(tx))),
    ).toBe("42501");
  });
});

describe("admin_usage_daily", () => {
  // A day no other test writes to, so the admin's totals are exactly A's plus B's.
  const day = "2011-03-14";
  const at = `${day}T10:00:00Z`;

  it("aggregates per UTC day what the reader may see: own rows for a user, all for an admin", async () => {
    const log = (user: TestUser, status: number) =>
      fx.su`insert into public.api_request_logs (request_id, user_id, method, route, status, duration_ms, created_at)
            values (${randomUUID()}, ${user.id}, 'GET', '/usage-daily', ${status}, 5, ${at})`;
    await log(a, 200);
    await log(a, 500);
    await log(a, 404);
    await log(b, 200);
    await log(b, 502);
    const datasetA = await createDataset(fx.su, a.id);
    const done = await createGeneration(fx.su, a.id, datasetA);
    await fx.su`update public.generation_requests set status = 'queued' where id = ${done} and status = 'pending_approval'`;
    await fx.su`update public.generation_requests set status = 'running', locked_by = 'r', locked_until = now() + interval '1 minute' where id = ${done}`;
    await fx.su`update public.generation_requests set status = 'succeeded', created_at = ${at}, finished_at = ${at} where id = ${done}`;
    const datasetB = await createDataset(fx.su, b.id);
    const other = await createGeneration(fx.su, b.id, datasetB);
    await fx.su`update public.generation_requests set created_at = ${at} where id = ${other}`;

    const read = (claims: JwtClaims) =>
      asUser(
        fx.db,
        claims,
        async (tx) =>
          (
            await sql<Record<string, string>>`
            select day::text, requests, users, errors, generation_requests, rows_generated
              from public.admin_usage_daily where day = ${day}::date`.execute(tx)
          ).rows,
      );
    expect(await read(a.claims)).toEqual([
      { day, requests: "3", users: "1", errors: "1", generation_requests: "1", rows_generated: "100" },
    ]);
    expect(await read(b.claims)).toEqual([
      { day, requests: "2", users: "1", errors: "1", generation_requests: "1", rows_generated: "0" },
    ]);
    expect(await read(admin.claims)).toEqual([
      { day, requests: "5", users: "2", errors: "2", generation_requests: "2", rows_generated: "100" },
    ]);
  });
});

describe("approving from Studio's SQL editor (as postgres, no JWT)", () => {
  const decide = (id: string, approve: boolean, adminId: string | null) =>
    fx.su`select (public.studio_decide_generation_request(${id}::uuid, ${approve}, 'checked in Studio', ${adminId}::uuid)).status`;

  it("cannot go through decide_generation_request(): is_admin() is false without a JWT", async () => {
    const request = await pendingGeneration(await createUser(fx.su));
    expect(await sqlState(fx.su`select public.decide_generation_request(${request}::uuid, true)`)).toBe(
      "42501",
    );
  });

  it("decides for a named active admin, logged under that admin with via = studio", async () => {
    const approved = await pendingGeneration(await createUser(fx.su));
    const rejected = await pendingGeneration(await createUser(fx.su));
    expect(await decide(approved, true, admin.id)).toEqual([{ status: "queued" }]);
    expect(await decide(rejected, false, admin.id)).toEqual([{ status: "rejected" }]);
    const rows = await fx.su<
      { id: string; approved_by: string | null; rejected_by: string | null; decision_reason: string }[]
    >`
      select id, approved_by, rejected_by, decision_reason from public.generation_requests
       where id in ${fx.su([approved, rejected])} order by approved_by nulls last`;
    expect(rows).toEqual([
      { id: approved, approved_by: admin.id, rejected_by: null, decision_reason: "checked in Studio" },
      { id: rejected, approved_by: null, rejected_by: admin.id, decision_reason: "checked in Studio" },
    ]);
    const logs = await fx.su<{ target_id: string; action: string; admin_id: string; details: unknown }[]>`
      select target_id, action, admin_id, details from public.admin_action_logs
       where target_id in ${fx.su([approved, rejected])} order by action`;
    expect(logs).toEqual([
      {
        target_id: approved,
        action: "approve_generation",
        admin_id: admin.id,
        details: { via: "studio", database_user: "postgres" },
      },
      {
        target_id: rejected,
        action: "reject_generation",
        admin_id: admin.id,
        details: { via: "studio", database_user: "postgres" },
      },
    ]);
    // Decided once: a second decision finds nothing pending.
    expect(await sqlState(decide(approved, false, admin.id))).toBe("P0002");
  });

  it("refuses a non-admin, banned or missing admin id, and an admin deciding their own request", async () => {
    const request = await pendingGeneration(await createUser(fx.su));
    const bannedAdmin = await createUser(fx.su, { admin: true });
    await fx.su`update auth.users set banned_until = now() + interval '1 day' where id = ${bannedAdmin.id}`;
    const fakeAdmin = await createUser(fx.su, { userMetadata: { role: "admin" } });
    expect(await sqlState(decide(request, true, b.id))).toBe("42501");
    expect(await sqlState(decide(request, true, fakeAdmin.id))).toBe("42501");
    expect(await sqlState(decide(request, true, bannedAdmin.id))).toBe("42501");
    expect(await sqlState(decide(request, true, null))).toBe("42501");
    expect(await sqlState(decide(request, true, randomUUID()))).toBe("42501");
    const own = await pendingGeneration(admin);
    await expect(decide(own, true, admin.id)).rejects.toThrow(
      "an admin cannot approve or reject their own generation request: another admin decides",
    );
    const [{ status }] = await fx.su<
      { status: string }[]
    >`select status from public.generation_requests where id = ${request}`;
    expect(status).toBe("pending_approval");
  });

  it("is callable by the service role but not by any API user, admins included", async () => {
    const request = await pendingGeneration(await createUser(fx.su));
    const call = sql`select public.studio_decide_generation_request(${request}::uuid, true, null, ${admin.id}::uuid)`;
    expect(await sqlState(asUser(fx.db, admin.claims, (tx) => call.execute(tx)))).toBe("42501");
    expect(await sqlState(asUser(fx.db, null, (tx) => call.execute(tx)))).toBe("42501");
    expect(await sqlState(asServiceRole(fx.db, "test:studio", (tx) => call.execute(tx)))).toBe("ok");
    // The internal implementation is no one's to call directly.
    const internal = sql`select public.record_generation_decision(${request}::uuid, true, null, ${admin.id}::uuid, '{}'::jsonb)`;
    expect(await sqlState(asServiceRole(fx.db, "test:studio", (tx) => internal.execute(tx)))).toBe("42501");
    expect(await sqlState(asUser(fx.db, admin.claims, (tx) => internal.execute(tx)))).toBe("42501");
  });
});
