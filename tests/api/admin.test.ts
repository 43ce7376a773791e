import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { createPgAuthAdmin } from "../../local/auth/pg-auth-admin.ts";
import { createDb, type Db } from "../../shared/platform/db.ts";
import { createDataset, createGeneration } from "../db/fixtures.ts";
import { createHarness, type ApiUser, type Harness } from "./harness.ts";
import { pendingGeneration } from "./job-fixtures.ts";
import { runMatrix, type Who } from "./matrix.ts";

let h: Harness;
let authDb: Db;
beforeAll(async () => {
  authDb = createDb({ url: inject("databaseUrl"), maxConnections: 2 });
  h = await createHarness({ authAdmin: createPgAuthAdmin(authDb) });
});
afterAll(async () => {
  await h.close();
  await authDb.destroy();
});

const ADMIN_ONLY: Record<Who, number> = { anon: 401, owner: 403, other: 403, disabled: 403, admin: 200 };

const problemPaths = (res: { body: { error?: { details: Record<string, unknown> } } }) =>
  ((res.body.error?.details.problems ?? []) as { path: string }[]).map((p) => p.path);

const logsFor = (targetId: string) =>
  h.su<{ admin_id: string; action: string; target_table: string; reason: string | null }[]>`
    select admin_id, action, target_table, reason from public.admin_action_logs
     where target_id = ${targetId} order by id`;

const statusOf = async (id: string) =>
  (await h.su<{ status: string }[]>`select status from public.generation_requests where id = ${id}`)[0]
    ?.status;

interface Page<T> {
  items: T[];
  page: number;
  page_size: number;
  total: number;
}
interface AdminUser {
  id: string;
  email: string;
  role: string;
  disabled: boolean;
  banned_until: string | null;
  datasets: number;
  jobs: number;
  created_at: string;
}

describe("GET /admin/users", () => {
  it("lists accounts newest first with role from app_metadata, ban state and counts", async () => {
    const admin = await h.user({ admin: true });
    const plain = await h.user({ userMetadata: { role: "admin" } });
    const banned = await h.user();
    await h.su`update auth.users set banned_until = now() + interval '1 day' where id = ${banned.id}`;
    const forever = await h.user();
    await h.su`update auth.users set banned_until = 'infinity' where id = ${forever.id}`;
    const dataset = await createDataset(h.su, plain.id);
    await createDataset(h.su, plain.id);
    await createGeneration(h.su, plain.id, dataset);
    const res = await h.call("/admin/users?page_size=100", { token: admin.token });
    expect(res.status).toBe(200);
    const page = res.body.data as Page<AdminUser>;
    expect(page.total).toBeGreaterThanOrEqual(3);
    const byId = new Map(page.items.map((u) => [u.id, u]));
    expect(byId.get(plain.id)).toMatchObject({
      email: plain.email,
      role: "user",
      disabled: false,
      banned_until: null,
      datasets: 2,
      jobs: 1,
    });
    expect(byId.get(admin.id)).toMatchObject({ role: "admin", datasets: 0, jobs: 0 });
    expect(byId.get(banned.id)?.disabled).toBe(true);
    expect(byId.get(forever.id)).toMatchObject({ disabled: true, banned_until: "infinity" });
    const created = page.items.map((u) => Date.parse(u.created_at));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    const beyond = (await h.call("/admin/users?page=100000&page_size=100", { token: admin.token })).body
      .data as Page<AdminUser>;
    expect(beyond.items).toEqual([]);
    expect(beyond.total).toBeGreaterThanOrEqual(3);
  });

  it("refuses bad paging with 400 and the paths", async () => {
    const admin = await h.user({ admin: true });
    const res = await h.call("/admin/users?page=-1&page_size=0", { token: admin.token });
    expect(res.status).toBe(400);
    expect(problemPaths(res).sort()).toEqual(["page", "page_size"]);
  });

  it("authorisation: administrators only; a banned admin is told the account is disabled", async () => {
    await runMatrix(h, {
      arrange: async () => null,
      act: (_h, caller) => h.call("/admin/users", { token: caller?.token }),
      expect: ADMIN_ONLY,
    });
    const admin = await h.user({ admin: true });
    await h.su`update auth.users set banned_until = now() + interval '1 day' where id = ${admin.id}`;
    const res = await h.call("/admin/users", { token: admin.token });
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe("ACCOUNT_DISABLED");
  });
});

describe("GET /admin/requests", () => {
  it("lists every user's generation requests, filtered by status", async () => {
    const admin = await h.user({ admin: true });
    const a = await h.user();
    const b = await h.user();
    const pendingA = await pendingGeneration(h.su, a.id);
    const pendingB = await pendingGeneration(h.su, b.id);
    const queued = await createGeneration(h.su, a.id, await createDataset(h.su, a.id));
    const res = await h.call("/admin/requests?status=pending_approval&page_size=100", { token: admin.token });
    expect(res.status).toBe(200);
    const page = res.body.data as Page<{ id: string; owner_id: string; status: string }>;
    expect(page.items.every((r) => r.status === "pending_approval")).toBe(true);
    expect(page.items).toContainEqual(expect.objectContaining({ id: pendingA, owner_id: a.id }));
    expect(page.items).toContainEqual(expect.objectContaining({ id: pendingB, owner_id: b.id }));
    expect(page.items.map((r) => r.id)).not.toContain(queued);
    expect(page.total).toBeGreaterThanOrEqual(2);
    const all = (await h.call("/admin/requests?page_size=100", { token: admin.token })).body.data as Page<{
      id: string;
    }>;
    expect(all.items.map((r) => r.id)).toEqual(expect.arrayContaining([pendingA, pendingB, queued]));
    const bad = await h.call("/admin/requests?status=done", { token: admin.token });
    expect(bad.status).toBe(400);
    expect(problemPaths(bad)).toEqual(["status"]);
  });

  it("authorisation: administrators only", async () => {
    await runMatrix(h, {
      arrange: async (_h, owner) => pendingGeneration(h.su, owner.id),
      act: (_h, caller) =>
        h.call("/admin/requests?status=pending_approval&page_size=100", { token: caller?.token }),
      expect: ADMIN_ONLY,
      check: (res, _who, id) => {
        expect((res.body.data as Page<{ id: string }>).items.map((r) => r.id)).toContain(id);
      },
    });
  });
});

describe("POST /admin/approve/{id} and /admin/reject/{id}", () => {
  it("approves a pending request: queued, approved_by the admin, exactly one log line, owner notified", async () => {
    const admin = await h.user({ admin: true });
    const owner = await h.user();
    const id = await pendingGeneration(h.su, owner.id);
    const res = await h.call(`/admin/approve/${id}`, { method: "POST", token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id, status: "queued", approved_by: admin.id, owner_id: owner.id });
    expect(await logsFor(id)).toEqual([
      { admin_id: admin.id, action: "approve_generation", target_table: "generation_requests", reason: null },
    ]);
    const notes = await h.su`select kind from public.notifications where user_id = ${owner.id}`;
    expect(notes.map((n) => n.kind)).toContain("generation_approved");
    // Decided: a second decision is a conflict and logs nothing.
    const again = await h.call(`/admin/approve/${id}`, { method: "POST", token: admin.token });
    expect(again.status).toBe(409);
    const late = await h.call(`/admin/reject/${id}`, {
      method: "POST",
      token: admin.token,
      json: { reason: "no" },
    });
    expect(late.status).toBe(409);
    expect(await logsFor(id)).toHaveLength(1);
  });

  it("takes an optional reason on approval", async () => {
    const admin = await h.user({ admin: true });
    const id = await pendingGeneration(h.su, (await h.user()).id);
    const res = await h.call(`/admin/approve/${id}`, {
      method: "POST",
      token: admin.token,
      json: { reason: "ok by me" },
    });
    expect(res.body.data).toMatchObject({ status: "queued", decision_reason: "ok by me" });
    expect((await logsFor(id)).map((l) => l.reason)).toEqual(["ok by me"]);
  });

  it("rejects with a reason: rejected, rejected_by the admin, exactly one log line with the reason", async () => {
    const admin = await h.user({ admin: true });
    const owner = await h.user();
    const id = await pendingGeneration(h.su, owner.id);
    const res = await h.call(`/admin/reject/${id}`, {
      method: "POST",
      token: admin.token,
      json: { reason: "the dataset holds personal data" },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      id,
      status: "rejected",
      rejected_by: admin.id,
      decision_reason: "the dataset holds personal data",
    });
    expect(await logsFor(id)).toEqual([
      {
        admin_id: admin.id,
        action: "reject_generation",
        target_table: "generation_requests",
        reason: "the dataset holds personal data",
      },
    ]);
  });

  it("requires a reason to reject: 400 with the path, nothing changed", async () => {
    const admin = await h.user({ admin: true });
    const id = await pendingGeneration(h.su, (await h.user()).id);
    for (const json of [{}, { reason: "   " }, { reason: "x".repeat(2001) }, { reason: "ok", extra: true }]) {
      const res = await h.call(`/admin/reject/${id}`, { method: "POST", token: admin.token, json });
      expect(res.status, JSON.stringify(json).slice(0, 50)).toBe(400);
      expect(problemPaths(res)[0], JSON.stringify(json).slice(0, 50)).toBe("extra" in json ? "" : "reason");
    }
    const bad = await h.call("/admin/approve/not-a-uuid", { method: "POST", token: admin.token });
    expect(bad.status).toBe(400);
    expect(problemPaths(bad)).toEqual(["id"]);
    expect(await statusOf(id)).toBe("pending_approval");
    expect(await logsFor(id)).toEqual([]);
  });

  it("answers 404 for an unknown request and 409 for one that is not pending", async () => {
    const admin = await h.user({ admin: true });
    expect(
      (await h.call(`/admin/approve/${randomUUID()}`, { method: "POST", token: admin.token })).status,
    ).toBe(404);
    const owner = await h.user();
    const queued = await createGeneration(h.su, owner.id, await createDataset(h.su, owner.id));
    const res = await h.call(`/admin/approve/${queued}`, { method: "POST", token: admin.token });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "CONFLICT", details: { status: "queued" } });
    expect(await logsFor(queued)).toEqual([]);
  });

  it("refuses an admin deciding their own request with 403 (the schema's rule), nothing logged", async () => {
    const admin = await h.user({ admin: true });
    const id = await pendingGeneration(h.su, admin.id);
    const approve = await h.call(`/admin/approve/${id}`, { method: "POST", token: admin.token });
    expect(approve.status).toBe(403);
    expect(approve.body.error?.code).toBe("FORBIDDEN");
    const reject = await h.call(`/admin/reject/${id}`, {
      method: "POST",
      token: admin.token,
      json: { reason: "mine" },
    });
    expect(reject.status).toBe(403);
    expect(await statusOf(id)).toBe("pending_approval");
    expect(await logsFor(id)).toEqual([]);
    const other = await h.user({ admin: true });
    expect((await h.call(`/admin/approve/${id}`, { method: "POST", token: other.token })).status).toBe(200);
  });

  it("lets exactly one of two admins deciding at once win; the other gets 409, one log line", async () => {
    const [first, second] = [await h.user({ admin: true }), await h.user({ admin: true })];
    for (let round = 0; round < 3; round++) {
      const id = await pendingGeneration(h.su, (await h.user()).id);
      const answers = await Promise.all([
        h.call(`/admin/approve/${id}`, { method: "POST", token: first.token }),
        h.call(`/admin/reject/${id}`, { method: "POST", token: second.token, json: { reason: "race" } }),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(await logsFor(id)).toHaveLength(1);
    }
  });

  it("authorisation matrix of approve", async () => {
    await runMatrix(h, {
      arrange: async (_h, owner) => pendingGeneration(h.su, owner.id),
      act: (_h, caller, id) => h.call(`/admin/approve/${id}`, { method: "POST", token: caller?.token }),
      expect: ADMIN_ONLY,
      check: async (_res, _who, id) => {
        expect(await statusOf(id)).toBe("queued");
        expect(await logsFor(id)).toHaveLength(1);
      },
    });
  });

  it("authorisation matrix of reject", async () => {
    await runMatrix(h, {
      arrange: async (_h, owner) => pendingGeneration(h.su, owner.id),
      act: (_h, caller, id) =>
        h.call(`/admin/reject/${id}`, { method: "POST", token: caller?.token, json: { reason: "no" } }),
      expect: ADMIN_ONLY,
      check: async (_res, _who, id) => {
        expect(await statusOf(id)).toBe("rejected");
        expect(await logsFor(id)).toHaveLength(1);
      },
    });
  });
});

describe("GET /admin/logs", () => {
  it("pages the admin action log newest first, filtered by action", async () => {
    const admin = await h.user({ admin: true });
    const approved = await pendingGeneration(h.su, (await h.user()).id);
    const rejected = await pendingGeneration(h.su, (await h.user()).id);
    await h.call(`/admin/approve/${approved}`, { method: "POST", token: admin.token });
    await h.call(`/admin/reject/${rejected}`, { method: "POST", token: admin.token, json: { reason: "r" } });
    type Log = { id: number; action: string; target_id: string; admin_id: string; reason: string | null };
    const res = await h.call("/admin/logs?action=reject_generation&page_size=100", { token: admin.token });
    expect(res.status).toBe(200);
    const page = res.body.data as Page<Log>;
    expect(page.items.every((l) => l.action === "reject_generation")).toBe(true);
    expect(page.items).toContainEqual(
      expect.objectContaining({ target_id: rejected, admin_id: admin.id, reason: "r" }),
    );
    expect(page.items.map((l) => l.target_id)).not.toContain(approved);
    const ids = page.items.map((l) => l.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const bad = await h.call(`/admin/logs?action=${"x".repeat(101)}`, { token: admin.token });
    expect(bad.status).toBe(400);
    expect(problemPaths(bad)).toEqual(["action"]);
  });

  it("authorisation: administrators only", async () => {
    await runMatrix(h, {
      arrange: async () => null,
      act: (_h, caller) => h.call("/admin/logs", { token: caller?.token }),
      expect: ADMIN_ONLY,
    });
  });
});

describe("POST /admin/users/{id}/toggle", () => {
  it("bans a user (their next request is 403 ACCOUNT_DISABLED) and re-enables them, one log line each", async () => {
    const admin = await h.user({ admin: true });
    const user = await h.user();
    expect((await h.call("/auth/me", { token: user.token })).status).toBe(200);

    const off = await h.call(`/admin/users/${user.id}/toggle`, { method: "POST", token: admin.token });
    expect(off.status).toBe(200);
    const offState = off.body.data as { id: string; disabled: boolean; banned_until: string | null };
    expect(offState).toMatchObject({ id: user.id, disabled: true });
    expect(Date.parse(offState.banned_until!)).toBeGreaterThan(Date.now() + 365 * 86_400_000);
    const refused = await h.call("/auth/me", { token: user.token });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe("ACCOUNT_DISABLED");
    expect(await logsFor(user.id)).toEqual([
      { admin_id: admin.id, action: "disable_user", target_table: "auth.users", reason: null },
    ]);

    // Explicit state: disabling again keeps it disabled; enabling restores access.
    const on = await h.call(`/admin/users/${user.id}/toggle`, {
      method: "POST",
      token: admin.token,
      json: { disabled: false, reason: "appeal granted" },
    });
    expect(on.body.data).toEqual({ id: user.id, disabled: false, banned_until: null });
    expect((await h.call("/auth/me", { token: user.token })).status).toBe(200);
    expect(await logsFor(user.id)).toEqual([
      { admin_id: admin.id, action: "disable_user", target_table: "auth.users", reason: null },
      { admin_id: admin.id, action: "enable_user", target_table: "auth.users", reason: "appeal granted" },
    ]);
    const [{ banned_until }] = await h.su`select banned_until from auth.users where id = ${user.id}`;
    expect(banned_until).toBeNull();
  });

  it("refuses an admin disabling themselves (403), an unknown user (404) and a bad body (400)", async () => {
    const admin = await h.user({ admin: true });
    const self = await h.call(`/admin/users/${admin.id}/toggle`, { method: "POST", token: admin.token });
    expect(self.status).toBe(403);
    expect((await h.call("/auth/me", { token: admin.token })).status).toBe(200);
    const unknown = randomUUID();
    expect(
      (await h.call(`/admin/users/${unknown}/toggle`, { method: "POST", token: admin.token })).status,
    ).toBe(404);
    const user = await h.user();
    const bad = await h.call(`/admin/users/${user.id}/toggle`, {
      method: "POST",
      token: admin.token,
      json: { disabled: "yes" },
    });
    expect(bad.status).toBe(400);
    expect(problemPaths(bad)).toEqual(["disabled"]);
    expect(await logsFor(admin.id)).toEqual([]);
    expect(await logsFor(unknown)).toEqual([]);
    expect(await logsFor(user.id)).toEqual([]);
  });

  it("authorisation: administrators only; exactly one log line per toggle", async () => {
    await runMatrix(h, {
      arrange: async () => h.user(),
      act: (_h, caller, target: ApiUser) =>
        h.call(`/admin/users/${target.id}/toggle`, {
          method: "POST",
          token: caller?.token,
          json: { disabled: true },
        }),
      expect: ADMIN_ONLY,
      check: async (_res, _who, target) => {
        expect(await logsFor(target.id)).toHaveLength(1);
        expect((await h.call("/auth/me", { token: target.token })).status).toBe(403);
      },
    });
  });
});
