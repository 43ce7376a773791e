import postgres from "postgres";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { asServiceRole, asUser } from "../../shared/platform/db.ts";
import {
  createDataset,
  createGeneration,
  createUser,
  openDb,
  sqlState,
  type DbFixture,
  type TestUser,
} from "./fixtures.ts";

let fx: DbFixture;
let user: TestUser;
let admin: TestUser;
let dataset: string;

beforeAll(async () => {
  fx = openDb();
  user = await createUser(fx.su, { userMetadata: { display_name: "Grace Hopper" } });
  admin = await createUser(fx.su, { admin: true });
  dataset = await createDataset(fx.su, user.id);
});
afterAll(async () => {
  await fx.close();
});

const statusOf = async (id: string) =>
  (await fx.su<{ status: string }[]>`select status from public.generation_requests where id = ${id}`)[0]
    .status;
const setStatus = (id: string, status: string) =>
  asServiceRole(fx.db, "test:runner", (tx) =>
    tx
      .updateTable("generation_requests")
      .set({ status: status as never })
      .where("id", "=", id)
      .execute(),
  );

describe("sign-up", () => {
  it("creates a profile named from the sign-up metadata, and consent is time-stamped", async () => {
    const [profile] = await fx.su<{ display_name: string; notification_consent_at: Date | null }[]>`
      select display_name, notification_consent_at from public.profiles where id = ${user.id}`;
    expect(profile).toEqual({ display_name: "Grace Hopper", notification_consent_at: null });
    await asUser(fx.db, user.claims, (tx) =>
      tx.updateTable("profiles").set({ notification_consent: true }).where("id", "=", user.id).execute(),
    );
    const [after] = await fx.su<{ notification_consent_at: Date | null }[]>`
      select notification_consent_at from public.profiles where id = ${user.id}`;
    expect(after.notification_consent_at).toBeInstanceOf(Date);
  });
});

describe("generation request status machine", () => {
  it("walks queued -> running -> succeeded with timestamps, a cleared lease and a notification", async () => {
    const id = await createGeneration(fx.su, user.id, dataset);
    expect(await statusOf(id)).toBe("queued");
    await asServiceRole(fx.db, "test:runner", (tx) =>
      tx
        .updateTable("generation_requests")
        .set({ status: "running", locked_by: "runner-1", locked_until: new Date(Date.now() + 60_000) })
        .where("id", "=", id)
        .execute(),
    );
    await setStatus(id, "succeeded");
    const [row] = await fx.su<
      {
        started_at: Date | null;
        finished_at: Date | null;
        locked_by: string | null;
        locked_until: Date | null;
      }[]
    >`
      select started_at, finished_at, locked_by, locked_until from public.generation_requests where id = ${id}`;
    expect(row.started_at).toBeInstanceOf(Date);
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.locked_by).toBeNull();
    expect(row.locked_until).toBeNull();
    const notes = await asUser(fx.db, user.claims, (tx) =>
      tx
        .selectFrom("notifications")
        .select(["kind", "data"])
        .where(sql`data ->> 'id'`, "=", id)
        .execute(),
    );
    expect(notes).toEqual([{ kind: "generation_succeeded", data: { id, status: "succeeded" } }]);
  });

  it.each([
    ["succeeded", "running"],
    ["succeeded", "queued"],
    ["failed", "running"],
    ["canceled", "queued"],
    ["queued", "succeeded"],
  ])("refuses %s -> %s, even for the service role", async (from, to) => {
    const id = await createGeneration(fx.su, user.id, dataset);
    const path: Record<string, string[]> = {
      succeeded: ["running", "succeeded"],
      failed: ["running", "failed"],
      canceled: ["canceled"],
      queued: [],
    };
    for (const step of path[from]) await setStatus(id, step);
    expect(await sqlState(setStatus(id, to))).toBe("23514");
    expect(await statusOf(id)).toBe(from);
  });

  it("cancels a queued request at once when its owner asks, and the cancel cannot be withdrawn", async () => {
    const id = await createGeneration(fx.su, user.id, dataset);
    await asUser(fx.db, user.claims, (tx) =>
      tx.updateTable("generation_requests").set({ cancel_requested: true }).where("id", "=", id).execute(),
    );
    expect(await statusOf(id)).toBe("canceled");
    const withdraw = asUser(fx.db, user.claims, (tx) =>
      tx.updateTable("generation_requests").set({ cancel_requested: false }).where("id", "=", id).execute(),
    );
    expect(await sqlState(withdraw)).toBe("23514");
  });

  it("leaves a running request running when cancel is asked: the runner stops it", async () => {
    const id = await createGeneration(fx.su, user.id, dataset);
    await setStatus(id, "running");
    await asUser(fx.db, user.claims, (tx) =>
      tx.updateTable("generation_requests").set({ cancel_requested: true }).where("id", "=", id).execute(),
    );
    expect(await statusOf(id)).toBe("running");
    await setStatus(id, "canceled");
    expect(await statusOf(id)).toBe("canceled");
  });
});

describe("approval", () => {
  it("holds new requests for approval when the platform requires it; an admin approves, logged atomically", async () => {
    await fx.su`update public.platform_settings set value = 'true' where key = 'generation_requires_approval'`;
    try {
      const [req] = await asUser(fx.db, user.claims, (tx) =>
        tx
          .insertInto("generation_requests")
          .values({ owner_id: user.id, dataset_id: dataset, model_type: "gaussian_copula", sample_size: 5 })
          .returning(["id", "status"])
          .execute(),
      );
      expect(req.status).toBe("pending_approval");
      await asUser(fx.db, admin.claims, (tx) =>
        sql`select public.decide_generation_request(${req.id}::uuid, true, 'looks fine')`.execute(tx),
      );
      const [row] = await fx.su<{ status: string; approved_by: string }[]>`
        select status, approved_by from public.generation_requests where id = ${req.id}`;
      expect(row).toEqual({ status: "queued", approved_by: admin.id });
      const logs =
        await fx.su`select action, reason from public.admin_action_logs where target_id = ${req.id}`;
      expect([...logs]).toEqual([{ action: "approve_generation", reason: "looks fine" }]);
      const again = asUser(fx.db, admin.claims, (tx) =>
        sql`select public.decide_generation_request(${req.id}::uuid, false, 'too late')`.execute(tx),
      );
      expect(await sqlState(again)).toBe("P0002");
    } finally {
      await fx.su`update public.platform_settings set value = 'false' where key = 'generation_requires_approval'`;
    }
  });

  it("logs every settings change an admin makes", async () => {
    await asUser(fx.db, admin.claims, (tx) =>
      tx
        .updateTable("platform_settings")
        .set({ value: 6, updated_by: admin.id })
        .where("key", "=", "max_active_jobs_per_user")
        .execute(),
    );
    const logs =
      await fx.su`select admin_id, details from public.admin_action_logs where action = 'update_setting' and target_id = 'max_active_jobs_per_user' and admin_id = ${admin.id}`;
    expect([...logs]).toEqual([{ admin_id: admin.id, details: { from: 5, to: 6 } }]);
    await fx.su`update public.platform_settings set value = '5' where key = 'max_active_jobs_per_user'`;
  });
});

describe("limits", () => {
  it("refuses a sample size above the platform limit and too many active jobs", async () => {
    const other = await createUser(fx.su);
    const ds = await createDataset(fx.su, other.id);
    const insert = (size: number) =>
      asUser(fx.db, other.claims, (tx) =>
        tx
          .insertInto("generation_requests")
          .values({ owner_id: other.id, dataset_id: ds, model_type: "tvae", sample_size: size })
          .execute(),
      );
    expect(await sqlState(insert(1_000_001))).toBe("23514");
    for (let i = 0; i < 5; i++) expect(await sqlState(insert(10))).toBe("ok");
    expect(await sqlState(insert(10))).toBe("23514");
  });
});

describe("runner wake-up", () => {
  it("notifies synth_jobs when a request becomes queued", async () => {
    const listener = postgres(inject("databaseUrl"), { max: 1, onnotice: () => {} });
    try {
      const received: string[] = [];
      await listener.listen("synth_jobs", (payload) => received.push(payload));
      const id = await createGeneration(fx.su, user.id, dataset);
      const deadline = Date.now() + 5000;
      while (!received.some((p) => p.includes(id)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(received.map((p) => JSON.parse(p) as unknown)).toContainEqual({ kind: "generation", id });
    } finally {
      await listener.end();
    }
  });
});
