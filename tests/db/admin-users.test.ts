import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

/** public.admin_users(): who may read auth.users through it, and what it answers. */
let fx: DbFixture;
let admin: TestUser;
beforeAll(async () => {
  fx = openDb();
  admin = await createUser(fx.su, { admin: true });
});
afterAll(async () => fx.close());

interface Row {
  id: string;
  email: string;
  role: string;
  disabled: boolean;
  datasets: string;
  jobs: string;
  total: string;
}

describe("public.admin_users", () => {
  it("answers an active admin one page with role, ban state, counts and the total before paging", async () => {
    const user = await createUser(fx.su, { userMetadata: { role: "admin" } });
    const dataset = await createDataset(fx.su, user.id);
    await createGeneration(fx.su, user.id, dataset);
    await fx.su`update auth.users set banned_until = now() + interval '1 hour' where id = ${user.id}`;
    const rows = await asUser(
      fx.db,
      admin.claims,
      async (tx) =>
        (await sql<Row>`select * from public.admin_users(1, 0, ${user.id}::uuid)`.execute(tx)).rows,
    );
    expect(rows).toEqual([
      expect.objectContaining({
        id: user.id,
        email: user.email,
        role: "user",
        disabled: true,
        datasets: "1",
        jobs: "1",
        total: "1",
      }),
    ]);
    const page = await asUser(
      fx.db,
      admin.claims,
      async (tx) => (await sql<Row>`select * from public.admin_users(2, 0)`.execute(tx)).rows,
    );
    expect(page).toHaveLength(2);
    expect(Number(page[0].total)).toBeGreaterThanOrEqual(2);
    // Other test files add and erase users in this database at the same time: compare the total with a
    // count taken in the same snapshot (a direct SQL session may call the function, as Studio does).
    const seen = await fx.su.begin("isolation level repeatable read", async (tx) => {
      const [p] = await tx<{ total: string }[]>`select total from public.admin_users(2, 0) limit 1`;
      const [c] = await tx<{ n: string }[]>`select count(*) as n from auth.users`;
      return { total: Number(p.total), n: Number(c.n) };
    });
    expect(seen.total).toBe(seen.n);
  });

  it("refuses users, user_metadata 'admins', banned admins and anon; allows the service role and SQL sessions", async () => {
    const user = await createUser(fx.su);
    const fake = await createUser(fx.su, { userMetadata: { role: "admin" } });
    const banned = await createUser(fx.su, { admin: true });
    await fx.su`update auth.users set banned_until = now() + interval '1 day' where id = ${banned.id}`;
    const call = (claims: TestUser["claims"] | null) =>
      asUser(fx.db, claims, (tx) => sql`select * from public.admin_users(1, 0)`.execute(tx));
    expect(await sqlState(call(user.claims))).toBe("42501");
    expect(await sqlState(call(fake.claims))).toBe("42501");
    expect(await sqlState(call(banned.claims))).toBe("42501");
    expect(await sqlState(call(null))).toBe("42501");
    expect(await sqlState(call(admin.claims))).toBe("ok");
    expect(
      await sqlState(
        asServiceRole(fx.db, "test", (tx) => sql`select * from public.admin_users(1, 0)`.execute(tx)),
      ),
    ).toBe("ok");
    // Studio's SQL editor: the owner's own session, no API role switched to.
    expect(await sqlState(fx.su`select * from public.admin_users(1, 0)`)).toBe("ok");
  });

  it("refuses out-of-range paging", async () => {
    const call = (limit: number, offset: number) =>
      asUser(fx.db, admin.claims, (tx) =>
        sql`select * from public.admin_users(${limit}::int, ${offset}::int)`.execute(tx),
      );
    expect(await sqlState(call(0, 0))).toBe("22023");
    expect(await sqlState(call(1001, 0))).toBe("22023");
    expect(await sqlState(call(1, -1))).toBe("22023");
  });
});
