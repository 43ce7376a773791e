import { randomInt, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSynthError, type ErrorCode } from "../../shared/errors.ts";
import { isBanned, type AuthAdmin } from "../../shared/platform/auth-admin.ts";
import { asUser } from "../../shared/platform/db.ts";
import {
  createDataset,
  createGeneration,
  createUser,
  openDb,
  type DbFixture,
  type TestUser,
} from "../db/fixtures.ts";

/**
 * What every AuthAdmin adapter must do, checked against the real PostgreSQL: the effects are proven by
 * reading auth.users and by queries as the user (RLS), not by what the adapter says about itself.
 */

export interface AuthAdminSubject {
  admin: AuthAdmin;
  close(): Promise<void>;
}

async function errorCode(promise: Promise<unknown>): Promise<ErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (isSynthError(error)) return error.code;
    throw error;
  }
  throw new Error("expected the call to fail");
}

/** What the user can see of their own rows, through RLS. */
async function ownRows(
  fx: DbFixture,
  user: TestUser,
): Promise<{ profiles: number; datasets: number; generations: number }> {
  return asUser(fx.db, user.claims, async (tx) => {
    const profiles = await tx.selectFrom("profiles").select("id").where("id", "=", user.id).execute();
    const datasets = await tx.selectFrom("datasets").select("id").where("owner_id", "=", user.id).execute();
    const generations = await tx
      .selectFrom("generation_requests")
      .select("id")
      .where("owner_id", "=", user.id)
      .execute();
    return { profiles: profiles.length, datasets: datasets.length, generations: generations.length };
  });
}

export function authAdminContract(name: string, make: (fx: DbFixture) => Promise<AuthAdminSubject>): void {
  describe(`AuthAdmin contract: ${name}`, () => {
    let fx: DbFixture;
    let subject: AuthAdminSubject;
    let admin: AuthAdmin;

    beforeAll(async () => {
      fx = openDb();
      subject = await make(fx);
      admin = subject.admin;
    });
    afterAll(async () => {
      await subject?.close();
      await fx?.close();
    });

    it("reads a user, and answers null for an unknown one", async () => {
      const user = await createUser(fx.su, { admin: true });
      expect(await admin.getUser(user.id)).toEqual({
        id: user.id,
        email: user.email,
        bannedUntil: null,
        appMetadata: { provider: "email", role: "admin" },
      });
      expect(await admin.getUser(randomUUID())).toBeNull();
      expect(await errorCode(admin.getUser("not-a-uuid"))).toBe("VALIDATION_ERROR");
    });

    it("bans a user: their own rows disappear for them at once, and come back when unbanned", async () => {
      const user = await createUser(fx.su);
      const bystander = await createUser(fx.su);
      for (const owner of [user, bystander])
        await createGeneration(fx.su, owner.id, await createDataset(fx.su, owner.id));
      expect(await ownRows(fx, user)).toEqual({ profiles: 1, datasets: 1, generations: 1 });

      const before = Date.now();
      await admin.setBanned(user.id, true);
      const banned = await admin.getUser(user.id);
      expect(banned).not.toBeNull();
      expect(isBanned(banned!)).toBe(true);
      // ban_duration 876000h: a hundred years (of 365 days) from now.
      const until = Date.parse(banned!.bannedUntil!);
      expect(until - before).toBeGreaterThanOrEqual(876_000 * 3600_000 - 60_000);
      expect(until - before).toBeLessThanOrEqual(876_000 * 3600_000 + 60_000);
      const [row] = await fx.su<
        { banned_until: Date }[]
      >`select banned_until from auth.users where id = ${user.id}`;
      expect(row.banned_until.getTime()).toBe(until);

      // The same still-valid token now sees nothing of its own and cannot write.
      expect(await ownRows(fx, user)).toEqual({ profiles: 0, datasets: 0, generations: 0 });
      await expect(
        asUser(fx.db, user.claims, (tx) =>
          tx
            .insertInto("datasets")
            .values({ owner_id: user.id, name: "x", storage_path: `${user.id}/x.csv`, format: "csv" })
            .execute(),
        ),
      ).rejects.toThrow();
      expect(await ownRows(fx, bystander)).toEqual({ profiles: 1, datasets: 1, generations: 1 });

      await admin.setBanned(user.id, false);
      expect(await admin.getUser(user.id)).toMatchObject({ bannedUntil: null });
      expect(await ownRows(fx, user)).toEqual({ profiles: 1, datasets: 1, generations: 1 });
    });

    it("banning or unbanning an unknown user is NOT_FOUND", async () => {
      expect(await errorCode(admin.setBanned(randomUUID(), true))).toBe("NOT_FOUND");
      expect(await errorCode(admin.setBanned(randomUUID(), false))).toBe("NOT_FOUND");
      expect(await errorCode(admin.setBanned("nope", true))).toBe("VALIDATION_ERROR");
    });

    it("deletes a user: the auth.users row goes and their rows cascade; a second delete is NOT_FOUND", async () => {
      const user = await createUser(fx.su);
      const datasetId = await createDataset(fx.su, user.id);
      const generationId = await createGeneration(fx.su, user.id, datasetId);
      const [log] = await fx.su<{ id: string }[]>`
        insert into public.api_request_logs (request_id, user_id, method, route, status, duration_ms)
        values (${randomUUID()}, ${user.id}, 'GET', '/datasets', 200, 3) returning id`;
      const survivor = await createUser(fx.su);
      await createDataset(fx.su, survivor.id);

      await admin.deleteUser(user.id);

      expect(await fx.su`select 1 from auth.users where id = ${user.id}`).toHaveLength(0);
      expect(await fx.su`select 1 from public.profiles where id = ${user.id}`).toHaveLength(0);
      expect(await fx.su`select 1 from public.datasets where id = ${datasetId}`).toHaveLength(0);
      expect(await fx.su`select 1 from public.generation_requests where id = ${generationId}`).toHaveLength(
        0,
      );
      // The append-only log keeps the line and loses only who made it.
      expect(await fx.su`select user_id, route from public.api_request_logs where id = ${log.id}`).toEqual([
        { user_id: null, route: "/datasets" },
      ]);
      expect(await admin.getUser(user.id)).toBeNull();
      expect(await ownRows(fx, user)).toEqual({ profiles: 0, datasets: 0, generations: 0 });
      expect(await ownRows(fx, survivor)).toEqual({ profiles: 1, datasets: 1, generations: 0 });

      expect(await errorCode(admin.deleteUser(user.id))).toBe("NOT_FOUND");
      expect(await errorCode(admin.deleteUser("x"))).toBe("VALIDATION_ERROR");
    });

    it("lists users newest first, in pages, with the total", async () => {
      // Dated in a year of their own, so that these three are the newest users whatever else runs meanwhile.
      const year = 3000 + randomInt(0, 100_000);
      const mine: TestUser[] = [];
      for (let i = 0; i < 3; i += 1) {
        const user = await createUser(fx.su);
        await fx.su`update auth.users set created_at = make_timestamptz(${year}, 1, 1, 0, 0, ${i}, 'UTC') where id = ${user.id}`;
        mine.push(user);
      }
      const newestFirst = [...mine].reverse().map((u) => u.id);

      const seen: string[] = [];
      let total = 0;
      for (let page = 1; page <= 20 && !newestFirst.every((id) => seen.includes(id)); page += 1) {
        const result = await admin.listUsers({ page, perPage: 2 });
        total = result.total;
        expect(result.users).toHaveLength(2);
        seen.push(...result.users.map((u) => u.id));
      }
      expect(total).toBeGreaterThanOrEqual(3);
      expect(seen.filter((id) => newestFirst.includes(id))).toEqual(newestFirst);
      const [{ count }] = await fx.su<{ count: string }[]>`select count(*) from auth.users`;
      expect(total).toBeLessThanOrEqual(Number(count));

      const entry = (await admin.listUsers({ page: 1, perPage: 1000 })).users.find(
        (u) => u.id === mine[0].id,
      );
      expect(entry).toEqual({
        id: mine[0].id,
        email: mine[0].email,
        bannedUntil: null,
        appMetadata: { provider: "email" },
      });

      const beyond = await admin.listUsers({ page: Math.ceil(total / 2) + 5, perPage: 2 });
      expect(beyond.users).toEqual([]);
      expect(beyond.total).toBeGreaterThanOrEqual(3);

      expect(await errorCode(admin.listUsers({ page: 0 }))).toBe("VALIDATION_ERROR");
      expect(await errorCode(admin.listUsers({ perPage: 0 }))).toBe("VALIDATION_ERROR");
    });
  });
}
