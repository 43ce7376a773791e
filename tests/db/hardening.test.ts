import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, type JwtClaims, type Tx } from "../../shared/platform/db.ts";
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
 * The schema's promises under attack (issue 8, section 5): erasure, disabled accounts, limits, storage
 * paths and the smaller holes. Every statement of a user goes through asUser(), so PostgreSQL's own RLS,
 * grants and triggers decide.
 */
let fx: DbFixture;

beforeAll(() => {
  fx = openDb();
});
afterAll(async () => {
  await fx.close();
});

const DENIED = "42501";

/** Rows a statement returned, or the SQLSTATE it failed with. */
async function attempt(
  claims: JwtClaims | null,
  fn: (tx: Tx) => Promise<unknown[]>,
): Promise<number | string> {
  try {
    return (await asUser(fx.db, claims, fn)).length;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code) return code;
    throw error;
  }
}

const rowsOf = <T>(q: Promise<{ rows: T[] }>) => q.then((r) => r.rows);

describe("disabled accounts", () => {
  const ban = (user: TestUser, until: string) =>
    fx.su`update auth.users set banned_until = now() + ${until}::interval where id = ${user.id}`;

  it("has one restrictive is_active() policy on every RLS table of public and on storage.objects", async () => {
    const tables = await fx.su<{ schema: string; table: string; covered: boolean }[]>`
      select n.nspname as schema, c.relname as table,
             exists (select 1 from pg_policies p
                      where p.schemaname = n.nspname and p.tablename = c.relname
                        and p.permissive = 'RESTRICTIVE' and p.cmd = 'ALL'
                        and p.roles = '{authenticated}'
                        and p.qual like '%is_active()%' and p.with_check like '%is_active()%') as covered
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'p') and c.relrowsecurity
         and (n.nspname = 'public' or (n.nspname = 'storage' and c.relname = 'objects'))
       order by 1, 2`;
    expect(tables.length).toBeGreaterThanOrEqual(11);
    expect(tables.filter((t) => !t.covered)).toEqual([]);
  });

  it("refuses every operation of a banned user with a token issued before the ban, and restores access after it", async () => {
    const user = await createUser(fx.su);
    const dataset = await createDataset(fx.su, user.id);
    const generation = await createGeneration(fx.su, user.id, dataset);
    const object = `${user.id}/${randomUUID()}.csv`;
    await fx.su`insert into storage.objects (bucket_id, name, owner) values ('datasets', ${object}, ${user.id})`;
    const [note] = await fx.su<{ id: string }[]>`
      insert into public.notifications (user_id, kind, title) values (${user.id}, 'system', 'hi') returning id`;
    const c = user.claims;
    const reads = () =>
      Promise.all([
        attempt(c, (tx) => tx.selectFrom("datasets").select("id").where("id", "=", dataset).execute()),
        attempt(c, (tx) =>
          tx.selectFrom("generation_requests").select("id").where("id", "=", generation).execute(),
        ),
        attempt(c, (tx) => tx.selectFrom("notifications").select("id").where("id", "=", note.id).execute()),
        attempt(c, (tx) => tx.selectFrom("profiles").select("id").where("id", "=", user.id).execute()),
        attempt(c, (tx) =>
          tx.selectFrom("platform_settings").select("key").where("key", "=", "max_epochs").execute(),
        ),
        attempt(c, (tx) => rowsOf(sql`select id from storage.objects where name = ${object}`.execute(tx))),
      ]);
    expect(await reads()).toEqual([1, 1, 1, 1, 1, 1]);

    await ban(user, "1 hour");
    expect(await reads()).toEqual([0, 0, 0, 0, 0, 0]);
    const writes = await Promise.all([
      attempt(c, (tx) =>
        tx
          .insertInto("datasets")
          .values({ owner_id: user.id, name: "x", storage_path: `${user.id}/y.csv`, format: "csv" })
          .returning("id")
          .execute(),
      ),
      attempt(c, (tx) =>
        tx
          .insertInto("generation_requests")
          .values({ owner_id: user.id, dataset_id: dataset, model_type: "tvae", sample_size: 10 })
          .returning("id")
          .execute(),
      ),
      attempt(c, (tx) =>
        rowsOf(
          sql`insert into storage.objects (bucket_id, name) values ('datasets', ${`${user.id}/new.csv`}) returning id`.execute(
            tx,
          ),
        ),
      ),
      attempt(c, (tx) =>
        tx
          .updateTable("profiles")
          .set({ display_name: "x" })
          .where("id", "=", user.id)
          .returning("id")
          .execute(),
      ),
      attempt(c, (tx) =>
        tx
          .updateTable("generation_requests")
          .set({ cancel_requested: true })
          .where("id", "=", generation)
          .returning("id")
          .execute(),
      ),
      attempt(c, (tx) => tx.deleteFrom("notifications").where("id", "=", note.id).returning("id").execute()),
      attempt(c, (tx) =>
        rowsOf(sql`delete from storage.objects where name = ${object} returning id`.execute(tx)),
      ),
    ]);
    expect(writes).toEqual([DENIED, DENIED, DENIED, 0, 0, 0, 0]);

    await ban(user, "-1 minute");
    expect(await reads()).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("takes an admin's powers with the ban: no reading others' rows, no approving", async () => {
    const owner = await createUser(fx.su);
    const admin = await createUser(fx.su, { admin: true });
    const dataset = await createDataset(fx.su, owner.id);
    await fx.su`update auth.users set banned_until = 'infinity' where id = ${admin.id}`;
    expect(
      await attempt(admin.claims, (tx) =>
        tx.selectFrom("datasets").select("id").where("id", "=", dataset).execute(),
      ),
    ).toBe(0);
    const generation = await createGeneration(fx.su, owner.id, dataset);
    expect(
      await attempt(admin.claims, (tx) =>
        rowsOf(sql`select public.decide_generation_request(${generation}::uuid, false, null)`.execute(tx)),
      ),
    ).toBe(DENIED);
  });

  it("treats a soft-deleted account and a token for a user who no longer exists as disabled", async () => {
    const user = await createUser(fx.su);
    await fx.su`update auth.users set deleted_at = now() where id = ${user.id}`;
    expect(
      await attempt(user.claims, (tx) =>
        tx.selectFrom("profiles").select("id").where("id", "=", user.id).execute(),
      ),
    ).toBe(0);
    const ghost = { ...user.claims, sub: randomUUID() };
    expect(
      await attempt(ghost, (tx) =>
        rowsOf(
          sql`insert into storage.objects (bucket_id, name) values ('datasets', ${`${ghost.sub}/a.csv`}) returning id`.execute(
            tx,
          ),
        ),
      ),
    ).toBe(DENIED);
  });
});

describe("account erasure", () => {
  it("deletes a user who has every kind of row; the logs keep their lines without the user id", async () => {
    const user = await createUser(fx.su, { admin: true });
    const other = await createUser(fx.su);
    const { su } = fx;
    const dataset = await createDataset(su, user.id);
    const running = await createGeneration(su, user.id, dataset);
    await su`update public.generation_requests set status = 'running', locked_by = 'r1',
               locked_until = now() + interval '1 minute' where id = ${running}`;
    const [run] = await su<{ id: string }[]>`
      insert into public.optimization_runs (owner_id, dataset_id, model_type, method, search_space)
      values (${user.id}, ${dataset}, 'tvae', 'random', '{"epochs": [10, 20]}') returning id`;
    await su`insert into public.optimization_trials (run_id, owner_id, trial_number, params)
             values (${run.id}, ${user.id}, 0, '{"epochs": 10}')`;
    await su`insert into public.notifications (user_id, kind, title) values (${user.id}, 'system', 'hi')`;
    await su`insert into public.push_tokens (user_id, token, platform) values (${user.id}, ${randomUUID()}, 'web')`;
    const requestId = randomUUID();
    await su`insert into public.api_request_logs (request_id, user_id, method, route, status, duration_ms)
             values (${requestId}, ${user.id}, 'GET', '/datasets', 200, 3)`;
    await su`insert into storage.objects (bucket_id, name, owner)
             values ('datasets', ${`${user.id}/${randomUUID()}.csv`}, ${user.id})`;
    // As an admin: a decision on another user's request and a settings change, both logged.
    await su`update public.platform_settings set value = 'true' where key = 'generation_requires_approval'`;
    let pending: string;
    try {
      const otherDataset = await createDataset(su, other.id);
      pending = await createGeneration(su, other.id, otherDataset);
    } finally {
      await su`update public.platform_settings set value = 'false' where key = 'generation_requires_approval'`;
    }
    await asUser(fx.db, user.claims, (tx) =>
      sql`select public.decide_generation_request(${pending}::uuid, false, 'no')`.execute(tx),
    );
    await asUser(fx.db, user.claims, (tx) =>
      tx
        .updateTable("platform_settings")
        .set({ value: 2000, description: "epochs", updated_by: user.id })
        .where("key", "=", "max_epochs")
        .execute(),
    );
    const logLines = await su<
      { id: string }[]
    >`select id from public.admin_action_logs where admin_id = ${user.id}`;
    expect(logLines.length).toBeGreaterThanOrEqual(1);

    expect(await sqlState(su`delete from auth.users where id = ${user.id}`)).toBe("ok");

    const [left] = await su<Record<string, string>[]>`
      select (select count(*) from public.profiles where id = ${user.id}) as profiles,
             (select count(*) from public.datasets where owner_id = ${user.id}) as datasets,
             (select count(*) from public.generation_requests where owner_id = ${user.id}) as generations,
             (select count(*) from public.optimization_runs where owner_id = ${user.id}) as runs,
             (select count(*) from public.optimization_trials where owner_id = ${user.id}) as trials,
             (select count(*) from public.notifications where user_id = ${user.id}) as notifications,
             (select count(*) from public.push_tokens where user_id = ${user.id}) as tokens,
             (select count(*) from public.api_request_logs where user_id = ${user.id}) as api_lines,
             (select count(*) from public.admin_action_logs where admin_id = ${user.id}) as admin_lines,
             (select count(*) from public.api_request_logs where request_id = ${requestId} and user_id is null) as anonymised_api,
             (select count(*) from public.admin_action_logs where id = any(${logLines.map((l) => l.id)}::bigint[]) and admin_id is null) as anonymised_admin,
             (select count(*) from public.generation_requests where id = ${pending} and rejected_by is null and status = 'rejected') as decision_kept`;
    expect(left).toEqual({
      profiles: "0",
      datasets: "0",
      generations: "0",
      runs: "0",
      trials: "0",
      notifications: "0",
      tokens: "0",
      api_lines: "0",
      admin_lines: "0",
      anonymised_api: "1",
      anonymised_admin: String(logLines.length),
      decision_kept: "1",
    });
  });

  it("keeps the logs append-only otherwise: no blanking a living user, no rewrite while blanking, no delete", async () => {
    const admin = await createUser(fx.su, { admin: true });
    const [line] = await fx.su<{ id: string }[]>`
      insert into public.admin_action_logs (admin_id, action) values (${admin.id}, 'note') returning id`;
    await fx.su`insert into public.api_request_logs (request_id, user_id, method, route, status, duration_ms)
                values ('keep', ${admin.id}, 'GET', '/', 200, 1)`;
    expect(
      await sqlState(fx.su`update public.admin_action_logs set admin_id = null where id = ${line.id}`),
    ).toBe(DENIED);
    expect(
      await sqlState(fx.su`update public.api_request_logs set user_id = null where user_id = ${admin.id}`),
    ).toBe(DENIED);
    expect(await sqlState(fx.su`delete from public.admin_action_logs where id = ${line.id}`)).toBe(DENIED);
    // Even once the user is gone, the anonymisation is the only change a line accepts.
    await fx.su`delete from auth.users where id = ${admin.id}`;
    expect(
      await sqlState(fx.su`update public.admin_action_logs set action = 'rewritten' where id = ${line.id}`),
    ).toBe(DENIED);
    expect(
      await sqlState(fx.su`update public.api_request_logs set status = 500 where request_id = 'keep'`),
    ).toBe(DENIED);
  });
});
