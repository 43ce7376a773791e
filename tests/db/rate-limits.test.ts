import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { asServiceRole, asUser, createDb, type Db } from "../../shared/platform/db.ts";
import { createUser, openDb, sqlState, type DbFixture, type TestUser } from "./fixtures.ts";

/**
 * public.take_rate_limit(): one count per user and bucket shared by every API isolate. Every call goes
 * through asUser(), as the API makes it, each in its own transaction.
 */
let fx: DbFixture;
/** A pool wide enough for 20 truly concurrent transactions. */
let wide: Db;

beforeAll(() => {
  fx = openDb();
  wide = createDb({ url: inject("databaseUrl"), maxConnections: 20 });
});
afterAll(async () => {
  await fx.close();
  await wide.destroy();
});

async function take(
  user: TestUser,
  bucket: string,
  maxHits: number,
  windowSeconds: number,
  db: Db = fx.db,
): Promise<number> {
  return asUser(db, user.claims, async (tx) => {
    const { rows } = await sql<{ retry: number }>`
      select public.take_rate_limit(${bucket}, ${maxHits}::integer, ${windowSeconds}::integer) as retry`.execute(
      tx,
    );
    return rows[0].retry;
  });
}

async function rowsOf(user: TestUser, bucket: string) {
  return fx.su<{ window_start: Date; hits: number }[]>`
    select window_start, hits from public.api_rate_limits
     where user_id = ${user.id} and bucket = ${bucket} order by window_start`;
}

describe("take_rate_limit", () => {
  it("allows exactly max_hits of 20 parallel calls, and counts no refused hit", async () => {
    const user = await createUser(fx.su);
    const answers = await Promise.all(Array.from({ length: 20 }, () => take(user, "burst", 5, 3600, wide)));
    expect(answers.filter((a) => a === 0)).toHaveLength(5);
    for (const refused of answers.filter((a) => a !== 0)) {
      expect(refused).toBeGreaterThanOrEqual(1);
      expect(refused).toBeLessThanOrEqual(3600);
    }
    const rows = await rowsOf(user, "burst");
    expect(rows.map((r) => r.hits)).toEqual([5]);
  });

  it("aligns windows to epoch multiples and answers the seconds left in the window as Retry-After", async () => {
    const user = await createUser(fx.su);
    expect(await take(user, "upload", 1, 60)).toBe(0);
    const before = Date.now();
    const retry = await take(user, "upload", 1, 60);
    const after = Date.now();
    const [row] = await rowsOf(user, "upload");
    expect(row.window_start.getTime() % 60_000).toBe(0);
    expect(row.hits).toBe(1);
    const windowEnd = row.window_start.getTime() + 60_000;
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    // Retry-After is the whole seconds to the window's end, rounded up, as seen during the call.
    expect(retry).toBeGreaterThanOrEqual(Math.ceil((windowEnd - after) / 1000));
    expect(retry).toBeLessThanOrEqual(Math.ceil((windowEnd - before) / 1000));
  });

  it("allows again once the window has rolled over (a real 1 s window)", async () => {
    const user = await createUser(fx.su);
    // Take until refused: the refusal proves we are inside one window that is used up.
    let refused = 0;
    for (let i = 0; i < 5 && refused === 0; i++) refused = await take(user, "tick", 1, 1);
    expect(refused).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await take(user, "tick", 1, 1)).toBe(0);
  });

  it("starts a fresh count in a new window and prunes the user's older windows of that bucket", async () => {
    const user = await createUser(fx.su);
    expect(await take(user, "export", 2, 3600)).toBe(0);
    expect(await take(user, "export", 2, 3600)).toBe(0);
    expect(await take(user, "export", 2, 3600)).toBeGreaterThan(0);
    expect(await take(user, "other", 2, 3600)).toBe(0);
    // Forced state: the used-up window is an hour older than it was, so "now" is in the next window.
    await fx.su`update public.api_rate_limits set window_start = window_start - interval '1 hour'
                 where user_id = ${user.id} and bucket = 'export'`;
    const [old] = await rowsOf(user, "export");
    expect(await take(user, "export", 2, 3600)).toBe(0);
    const rows = await rowsOf(user, "export");
    expect(rows.map((r) => r.hits)).toEqual([1]);
    expect(rows[0].window_start.getTime()).toBe(old.window_start.getTime() + 3_600_000);
    // Another bucket's rows are not this call's to prune.
    expect((await rowsOf(user, "other")).map((r) => r.hits)).toEqual([1]);
  });

  it("counts per user and per bucket", async () => {
    const a = await createUser(fx.su);
    const b = await createUser(fx.su);
    expect(await take(a, "search", 1, 3600)).toBe(0);
    expect(await take(a, "search", 1, 3600)).toBeGreaterThan(0);
    expect(await take(b, "search", 1, 3600)).toBe(0);
    expect(await take(a, "search_v2", 1, 3600)).toBe(0);
    expect(await take(b, "search", 1, 3600)).toBeGreaterThan(0);
  });

  it("validates its arguments and needs a signed-in user", async () => {
    const user = await createUser(fx.su);
    const state = (bucket: string, maxHits: number, windowSeconds: number) =>
      sqlState(take(user, bucket, maxHits, windowSeconds));
    const INVALID = "22023";
    expect(await state("Upper", 1, 60)).toBe(INVALID);
    expect(await state("", 1, 60)).toBe(INVALID);
    expect(await state("1digit", 1, 60)).toBe(INVALID);
    expect(await state(`a${"b".repeat(40)}`, 1, 60)).toBe(INVALID);
    expect(await state(`a${"b".repeat(39)}`, 1, 60)).toBe("ok");
    expect(await state("ok", 0, 60)).toBe(INVALID);
    expect(await state("ok", 100001, 60)).toBe(INVALID);
    expect(await state("ok", 100000, 60)).toBe("ok");
    expect(await state("ok", 1, 0)).toBe(INVALID);
    expect(await state("ok", 1, 86401)).toBe(INVALID);
    expect(await state("ok2", 1, 86400)).toBe("ok");
    const call = sql`select public.take_rate_limit('x', 1, 60)`;
    // anon has no execute privilege; the service role without a user id has nobody to count.
    expect(await sqlState(asUser(fx.db, null, (tx) => call.execute(tx)))).toBe("42501");
    expect(await sqlState(asServiceRole(fx.db, "test:rate-limit", (tx) => call.execute(tx)))).toBe("42501");
  });
});
