import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPgliteDatabase, type PgliteDatabase } from "../../local/db/pglite-database.ts";
import { isSynthError } from "../../shared/errors.ts";
import { asServiceRole, asUser } from "../../shared/platform/db.ts";
import { createDataset, createUser } from "../db/fixtures.ts";
import { pgliteSeedSql, type SeedSql } from "../contract/seed-sql.ts";
import { quietLogger, tempDataDir } from "./fixture.ts";

/**
 * What the embedded database adds to the contract suites: one data directory that survives a restart,
 * LISTEN/NOTIFY in the process, and the serialized session (rollbacks, re-entrance, no deadlock).
 */
const data = tempDataDir();
let local: PgliteDatabase;
let su: SeedSql;

beforeAll(async () => {
  local = await openPgliteDatabase({ dataDir: data.dir, logger: quietLogger });
  su = pgliteSeedSql(local.pglite, local.session);
});
afterAll(async () => {
  await local?.close().catch(() => {});
  data.remove();
});

function collect(channel: string): { payloads: string[]; ready: Promise<void>; close(): Promise<void> } {
  const payloads: string[] = [];
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const listener = local.listen(channel, {
    onNotify: (p) => payloads.push(p),
    onListening: onReady,
  });
  return { payloads, ready, close: () => listener.close() };
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("the embedded database", () => {
  it("starts with the bootstrap and every migration applied, as PostgreSQL 18", async () => {
    expect(local.kind).toBe("pglite");
    expect(local.migration.bootstrapped).toBe(true);
    expect(local.migration.skipped).toEqual([]);
    expect(local.migration.applied.length).toBeGreaterThan(20);
    const [row] = await su<{ v: string; rls: boolean }[]>`
      select current_setting('server_version_num') as v,
             (select relrowsecurity from pg_class where oid = 'public.datasets'::regclass) as rls`;
    expect(Number(row.v)).toBeGreaterThanOrEqual(170000);
    expect(row.rls).toBe(true);
  });

  it("enforces RLS as authenticated: the owner sees its dataset, another user none", async () => {
    const a = await createUser(su);
    const b = await createUser(su);
    const id = await createDataset(su, a.id);
    const seen = (claims: typeof a.claims) =>
      asUser(local.db, claims, (tx) => tx.selectFrom("datasets").select("id").where("id", "=", id).execute());
    expect(await seen(a.claims)).toEqual([{ id }]);
    expect(await seen(b.claims)).toEqual([]);
  });

  it("delivers a NOTIFY to the listener after the commit, and not one that was rolled back", async () => {
    const channel = `t_${randomUUID().replaceAll("-", "")}`;
    const got = collect(channel);
    await got.ready;
    await local.db.transaction().execute(async (tx) => {
      await sql`select pg_notify(${channel}, 'inside')`.execute(tx);
      await turn();
      expect(got.payloads).toEqual([]);
    });
    await expect(
      local.db.transaction().execute(async (tx) => {
        await sql`select pg_notify(${channel}, 'rolled back')`.execute(tx);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    await asServiceRole(local.db, "test:notify", (tx) =>
      sql`select pg_notify(${channel}, ${JSON.stringify({ id: 1 })})`.execute(tx),
    );
    await turn();
    expect(got.payloads).toEqual(["inside", '{"id":1}']);
    await got.close();
  });

  it("wakes a listener when a job is queued (the synth_jobs trigger)", async () => {
    const got = collect("synth_jobs");
    await got.ready;
    const user = await createUser(su);
    const datasetId = await createDataset(su, user.id);
    await asUser(local.db, user.claims, (tx) =>
      tx
        .insertInto("generation_requests")
        .values({ owner_id: user.id, dataset_id: datasetId, model_type: "ctgan", sample_size: 10 })
        .execute(),
    );
    await turn();
    expect(got.payloads.length).toBeGreaterThanOrEqual(1);
    await got.close();
  });

  it("rolls a failed transaction back, and serves the next one normally", async () => {
    const key = `t-${randomUUID()}`;
    await expect(
      local.db.transaction().execute(async (tx) => {
        await sql`insert into public.runner_heartbeats (runner_id, running_jobs, version) values (${key}, 0, 'x')`.execute(
          tx,
        );
        await sql`select 1 / 0`.execute(tx);
      }),
    ).rejects.toMatchObject({ code: "22012" });
    const rows = await su`select 1 from public.runner_heartbeats where runner_id = ${key}`;
    expect(rows).toEqual([]);
    const { rows: ok } = await sql<{ n: number }>`select 1 as n`.execute(local.db);
    expect(ok).toEqual([{ n: 1 }]);
  });

  it("throws, rather than waiting forever, when a transaction queries the root db", async () => {
    const error = await local.db
      .transaction()
      .execute(async () => sql`select 1`.execute(local.db))
      .catch((e: unknown) => e);
    expect(isSynthError(error, "DB_ERROR")).toBe(true);
    expect((error as Error).message).toMatch(/inside a transaction/);
    // The session is free again: nothing was left holding it.
    expect((await sql<{ n: number }>`select 2 as n`.execute(local.db)).rows).toEqual([{ n: 2 }]);
  });

  it("runs many concurrent transactions one at a time, with no lost update and no deadlock", async () => {
    const key = `c-${randomUUID()}`;
    await su`insert into public.runner_heartbeats (runner_id, running_jobs, version) values (${key}, 0, 'x')`;
    await Promise.all(
      Array.from({ length: 40 }, () =>
        local.db.transaction().execute(async (tx) => {
          const { rows } = await sql<{ n: number }>`
            select running_jobs as n from public.runner_heartbeats where runner_id = ${key}`.execute(tx);
          await turn();
          await sql`update public.runner_heartbeats set running_jobs = ${rows[0].n + 1} where runner_id = ${key}`.execute(
            tx,
          );
        }),
      ),
    );
    const [row] = await su<
      { n: number }[]
    >`select running_jobs as n from public.runner_heartbeats where runner_id = ${key}`;
    expect(row.n).toBe(40);
  });

  it("returns int8 as a string and takes a Date parameter, as node-postgres and postgres.js do", async () => {
    const at = new Date("2026-01-02T03:04:05.678Z");
    const { rows } = await sql<{ big: unknown; at: Date }>`
      select 9007199254740993::int8 as big, ${at}::timestamptz as at`.execute(local.db);
    expect(rows[0].big).toBe("9007199254740993");
    expect(rows[0].at.toISOString()).toBe(at.toISOString());
  });

  it("refuses a second open of the same data directory", async () => {
    const error = await openPgliteDatabase({ dataDir: data.dir, logger: quietLogger }).catch(
      (e: unknown) => e,
    );
    expect(isSynthError(error, "CONFIG_ERROR")).toBe(true);
  });

  it("keeps its data when closed and reopened, without applying the migrations again", async () => {
    const user = await createUser(su);
    const datasetId = await createDataset(su, user.id);
    await local.close();
    local = await openPgliteDatabase({ dataDir: data.dir, logger: quietLogger });
    su = pgliteSeedSql(local.pglite, local.session);
    expect(local.migration.bootstrapped).toBe(false);
    expect(local.migration.applied).toEqual([]);
    expect(local.migration.skipped.length).toBeGreaterThan(20);
    const seen = await asUser(local.db, user.claims, (tx) =>
      tx.selectFrom("datasets").select("id").where("id", "=", datasetId).execute(),
    );
    expect(seen).toEqual([{ id: datasetId }]);
  });
});
