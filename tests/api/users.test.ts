import { createHash, randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Hono } from "hono";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthAdmin } from "../../functions/deps.ts";
import { createPgAuthAdmin } from "../../local/auth/pg-auth-admin.ts";
import { createDiskStorage, type DiskStorage } from "../../local/storage/disk-store.ts";
import { signedDownloadRoute } from "../../local/storage/signed-download-route.ts";
import { synthError } from "../../shared/errors.ts";
import { BUCKETS, type Bucket } from "../../shared/platform/storage.ts";
import { createGeneration } from "../db/fixtures.ts";
import { createHarness, TEST_JWT_SECRET, type ApiResponse, type ApiUser, type Harness } from "./harness.ts";
import { runMatrix, type Who } from "./matrix.ts";

const DELETIONS_PER_DAY = 3;
const secret = new TextEncoder().encode(TEST_JWT_SECRET);

let h: Harness;
let disk: DiskStorage;
let blobRoot: string;
/** Users whose deletion in Supabase Auth fails, as a GoTrue outage would: the real adapter otherwise. */
const authOutageFor = new Set<string>();
/** Users whose objects in the models bucket Storage refuses to remove (a Storage outage mid-erasure). */
const storageOutageFor = new Set<string>();
let signedFetch: (url: string) => Promise<Response>;

beforeAll(async () => {
  h = await createHarness({
    env: { SYNTH_RATE_DELETIONS_PER_DAY: String(DELETIONS_PER_DAY) },
    storage: (config, dataDir, db) => {
      blobRoot = join(dataDir, "blobs");
      disk = createDiskStorage({
        root: blobRoot,
        db,
        verify: async (token) =>
          (await jose.jwtVerify(token, secret, { algorithms: ["HS256"] })).payload as Record<string, unknown>,
        jwtSecret: TEST_JWT_SECRET,
        publicUrl: config.supabaseUrl,
      });
      const route = new Hono().route("/", signedDownloadRoute(disk));
      signedFetch = async (url) => route.fetch(new Request(url));
      return {
        forUser: (token) => disk.forUser(token),
        asServiceRole: (scope) => {
          const store = disk.asServiceRole(scope);
          return {
            ...store,
            remove: async (bucket, paths) => {
              if (bucket === "models" && paths.some((p) => storageOutageFor.has(p.split("/")[0]))) {
                throw synthError("STORAGE_ERROR", "Storage answered 503", { retryable: true });
              }
              return store.remove(bucket, paths);
            },
          };
        },
      };
    },
    authAdmin: (db): AuthAdmin => {
      const real = createPgAuthAdmin(db);
      return {
        deleteUser: async (id) => {
          if (authOutageFor.has(id)) throw synthError("AUTH_ADMIN_ERROR", "Supabase Auth answered 503");
          await real.deleteUser(id);
        },
        setBanned: (id, banned) => real.setBanned(id, banned),
        getUser: (id) => real.getUser(id),
        listUsers: (options) => real.listUsers(options),
      };
    },
  });
});
afterAll(async () => h?.close());

const data = <T = Record<string, unknown>>(res: ApiResponse) => res.body.data as T;
const problemPaths = (res: ApiResponse) =>
  ((res.body.error?.details.problems ?? []) as { path: string }[]).map((p) => p.path).sort();

const CONFIRM = { confirm: "DELETE" };
const deleteAccount = (caller: ApiUser | null, json: unknown = CONFIRM) =>
  h.call("/users/account", { method: "DELETE", token: caller?.token ?? null, json });

/** Where the disk store keeps an object's versions (blob-files.ts): gone when the object is. */
const blobFolder = (bucket: Bucket, name: string) =>
  join(blobRoot, bucket, createHash("sha256").update(name, "utf8").digest("hex"));
const versionsOnDisk = async (bucket: Bucket, name: string) =>
  readdir(blobFolder(bucket, name)).then(
    (files) => files.length,
    () => 0,
  );

interface Seeded {
  datasetId: string;
  generationId: string;
  objects: { bucket: Bucket; path: string; bytes: string }[];
}

/**
 * A user with something everywhere: a registered (so owner-undeletable) dataset file plus an unregistered
 * upload, an output in each other bucket (written as the runner does), a queued generation request (an
 * active job), notifications, a push token and request-log lines.
 */
async function seed(user: ApiUser): Promise<Seeded> {
  const mine = disk.forUser(user.token);
  const runner = disk.asServiceRole("test: the runner writes results");
  const datasetPath = `${user.id}/people-${randomUUID()}.csv`;
  const objects: Seeded["objects"] = [
    { bucket: "datasets", path: datasetPath, bytes: "age,city\n31,Oslo\n" },
    { bucket: "datasets", path: `${user.id}/drafts/unregistered.csv`, bytes: "a\n1\n" },
    { bucket: "synthetic", path: `${user.id}/job-1/synthetic.csv`, bytes: "age,city\n30,Bergen\n" },
    { bucket: "models", path: `${user.id}/job-1/model.json`, bytes: '{"weights":[1,2]}' },
    { bucket: "reports", path: `${user.id}/job-1/report.html`, bytes: "<p>quality 0.9</p>" },
  ];
  for (const o of objects) {
    const store = o.bucket === "datasets" ? mine : runner;
    await store.upload(o.bucket, o.path, new TextEncoder().encode(o.bytes));
  }
  const [ds] = await h.su<{ id: string }[]>`
    insert into public.datasets (owner_id, name, storage_path, format, status)
    values (${user.id}, 'people', ${datasetPath}, 'csv', 'ready') returning id`;
  const generationId = await createGeneration(h.su, user.id, ds.id);
  await h.su`insert into public.notifications (user_id, kind, title) values
               (${user.id}, 'system', 'Welcome'), (${user.id}, 'system', 'Maintenance tonight')`;
  expect(
    (
      await h.call("/users/push-token", {
        method: "POST",
        token: user.token,
        json: { token: `t-${user.id}`, platform: "web" },
      })
    ).status,
  ).toBe(201);
  expect((await h.call("/users/profile", { token: user.token })).status).toBe(200);
  await h.deps.requestLog.flush();
  return { datasetId: ds.id, generationId, objects };
}

/** Every trace of a user in the database and in Storage (rows and bytes). */
async function tracesOf(uid: string, objects: Seeded["objects"]): Promise<Record<string, number>> {
  const [rows] = await h.su<Record<string, string>[]>`
    select (select count(*) from auth.users where id = ${uid}) as auth_users,
           (select count(*) from public.profiles where id = ${uid}) as profiles,
           (select count(*) from public.datasets where owner_id = ${uid}) as datasets,
           (select count(*) from public.generation_requests where owner_id = ${uid}) as generation_requests,
           (select count(*) from public.notifications where user_id = ${uid}) as notifications,
           (select count(*) from public.push_tokens where user_id = ${uid}) as push_tokens,
           (select count(*) from public.api_request_logs where user_id = ${uid}) as api_request_logs,
           (select count(*) from public.api_rate_limits where user_id = ${uid}) as api_rate_limits,
           (select count(*) from storage.objects where name like ${`${uid}/%`}) as storage_objects`;
  let filesOnDisk = 0;
  for (const o of objects) filesOnDisk += await versionsOnDisk(o.bucket, o.path);
  const counts: Record<string, number> = Object.fromEntries(
    Object.entries(rows).map(([k, v]) => [k, Number(v)]),
  );
  return { ...counts, files_on_disk: filesOnDisk };
}

describe("GET /users/profile", () => {
  it("answers the caller's profile as the sign-up trigger created it", async () => {
    const user = await h.user();
    const res = await h.call("/users/profile", { token: user.token });
    expect(res.status).toBe(200);
    expect(data(res)).toMatchObject({
      id: user.id,
      display_name: user.email.split("@")[0],
      organisation: null,
      preferences: {},
      notification_consent: false,
      notification_consent_at: null,
    });
    expect(Date.parse(data<{ created_at: string }>(res).created_at)).not.toBeNaN();
  });

  it("answers 404 when the caller has no profile row (read and update alike)", async () => {
    const user = await h.user();
    await h.su`delete from public.profiles where id = ${user.id}`;
    const read = await h.call("/users/profile", { token: user.token });
    expect(read.status).toBe(404);
    expect(read.body.error?.code).toBe("NOT_FOUND");
    const put = await h.call("/users/profile", {
      method: "PUT",
      token: user.token,
      json: { organisation: "X" },
    });
    expect(put.status).toBe(404);
  });

  it("authorisation: anon 401, disabled 403, everyone else reads their own profile only", async () => {
    let caller: ApiUser | null = null;
    await runMatrix(h, {
      arrange: async (_h, owner) => {
        await h.su`update public.profiles set organisation = 'Owner Org' where id = ${owner.id}`;
        return owner;
      },
      act: async (_h, who) => {
        caller = who;
        return h.call("/users/profile", { token: who?.token ?? null });
      },
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
      check: (res, who) => {
        expect(data(res).id, who).toBe(caller!.id);
        expect(data(res).organisation, who).toBe(who === "owner" ? "Owner Org" : null);
      },
    });
  });
});

describe("PUT /users/profile", () => {
  it("changes only the fields sent and answers the updated profile", async () => {
    const user = await h.user();
    const first = await h.call("/users/profile", {
      method: "PUT",
      token: user.token,
      json: { display_name: "  Ada Lovelace ", preferences: { theme: "dark", table: { pageSize: 50 } } },
    });
    expect(first.status, first.text).toBe(200);
    expect(data(first)).toMatchObject({
      display_name: "Ada Lovelace",
      preferences: { theme: "dark", table: { pageSize: 50 } },
      organisation: null,
    });
    const second = await h.call("/users/profile", {
      method: "PUT",
      token: user.token,
      json: {
        organisation: "Analytical Engines",
        avatar_url: "https://example.test/ada.png",
        notification_consent: true,
      },
    });
    expect(data(second)).toMatchObject({
      display_name: "Ada Lovelace",
      organisation: "Analytical Engines",
      avatar_url: "https://example.test/ada.png",
      preferences: { theme: "dark", table: { pageSize: 50 } },
      notification_consent: true,
    });
    expect(data<{ notification_consent_at: string | null }>(second).notification_consent_at).not.toBeNull();
    const [row] = await h.su<{ organisation: string; preferences: unknown }[]>`
      select organisation, preferences from public.profiles where id = ${user.id}`;
    expect(row).toEqual({
      organisation: "Analytical Engines",
      preferences: { theme: "dark", table: { pageSize: 50 } },
    });

    // null clears a field; withdrawing consent clears its time (the trigger's rule).
    const cleared = await h.call("/users/profile", {
      method: "PUT",
      token: user.token,
      json: { avatar_url: null, notification_consent: false },
    });
    expect(data(cleared)).toMatchObject({
      avatar_url: null,
      notification_consent: false,
      notification_consent_at: null,
    });
    expect(data(cleared).organisation).toBe("Analytical Engines");
  });

  it("refuses bad fields with 400 and the path of every problem", async () => {
    const user = await h.user();
    const put = (json: unknown) => h.call("/users/profile", { method: "PUT", token: user.token, json });
    const many = await put({
      display_name: "x".repeat(101),
      organisation: "",
      avatar_url: "http://example.test/a.png",
      notification_consent: "yes",
    });
    expect(many.status).toBe(400);
    expect(many.body.error?.code).toBe("VALIDATION_ERROR");
    expect(problemPaths(many)).toEqual([
      "avatar_url",
      "display_name",
      "notification_consent",
      "organisation",
    ]);

    expect(problemPaths(await put({ avatar_url: "javascript:alert(1)" }))).toEqual(["avatar_url"]);
    expect(problemPaths(await put({ display_name: "a\u0000b" }))).toEqual(["display_name"]);
    expect(problemPaths(await put({ preferences: { blob: "x".repeat(9000) } }))).toEqual(["preferences"]);
    expect(problemPaths(await put({ preferences: ["not", "an", "object"] }))).toEqual(["preferences"]);
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 7; i++) deep = { deeper: deep };
    expect(problemPaths(await put({ preferences: deep }))).toEqual(["preferences"]);
    // Fields that are not the user's to set (the grant's column list) are refused, not ignored.
    const foreign = await put({
      display_name: "Eve",
      id: randomUUID(),
      notification_consent_at: "2020-01-01",
    });
    expect(foreign.status).toBe(400);
    const empty = await put({});
    expect(empty.status).toBe(400);
    const [row] = await h.su<
      { display_name: string }[]
    >`select display_name from public.profiles where id = ${user.id}`;
    expect(row.display_name).toBe(user.email.split("@")[0]);
  });

  it("authorisation: each caller changes their own profile, never the owner's", async () => {
    let caller: ApiUser | null = null;
    await runMatrix(h, {
      arrange: async (_h, owner) => owner,
      act: async (_h, who) => {
        caller = who;
        return h.call("/users/profile", {
          method: "PUT",
          token: who?.token ?? null,
          json: { organisation: "Changed" },
        });
      },
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
      check: async (res, who, owner) => {
        expect(data(res).id, who).toBe(caller!.id);
        const [row] = await h.su<{ organisation: string | null }[]>`
          select organisation from public.profiles where id = ${owner.id}`;
        expect(row.organisation, who).toBe(who === "owner" ? "Changed" : null);
      },
    });
  });
});

describe("POST /users/push-token", () => {
  it("registers a token (201), then refreshes it (200: same row, later last_seen_at, new device name)", async () => {
    const user = await h.user();
    const body = { token: `fcm-${randomUUID()}`, platform: "android", device_name: "Pixel 8" };
    const first = await h.call("/users/push-token", { method: "POST", token: user.token, json: body });
    expect(first.status).toBe(201);
    const row = data<{ id: string; last_seen_at: string }>(first);
    expect(data(first)).toMatchObject({ token: body.token, platform: "android", device_name: "Pixel 8" });
    await new Promise((r) => setTimeout(r, 15));
    const again = await h.call("/users/push-token", {
      method: "POST",
      token: user.token,
      json: { token: body.token, platform: "android" },
    });
    expect(again.status).toBe(200);
    expect(data(again)).toMatchObject({ id: row.id, device_name: "Pixel 8" });
    expect(Date.parse(data<{ last_seen_at: string }>(again).last_seen_at)).toBeGreaterThan(
      Date.parse(row.last_seen_at),
    );
    const renamed = await h.call("/users/push-token", {
      method: "POST",
      token: user.token,
      json: { ...body, device_name: "Work phone" },
    });
    expect(data(renamed)).toMatchObject({ id: row.id, device_name: "Work phone" });
    const [{ count }] = await h.su<
      { count: string }[]
    >`select count(*) from public.push_tokens where user_id = ${user.id}`;
    expect(Number(count)).toBe(1);
  });

  it("a device that changes hands belongs to its new user only", async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    const token = `apns-${randomUUID()}`;
    expect(
      (
        await h.call("/users/push-token", {
          method: "POST",
          token: alice.token,
          json: { token, platform: "ios" },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await h.call("/users/push-token", {
          method: "POST",
          token: bob.token,
          json: { token, platform: "ios" },
        })
      ).status,
    ).toBe(201);
    const owners = await h.su<
      { user_id: string }[]
    >`select user_id from public.push_tokens where token = ${token}`;
    expect(owners).toEqual([{ user_id: bob.id }]);
  });

  it("refuses a bad registration with 400 and the problem paths", async () => {
    const user = await h.user();
    const post = (json: unknown) => h.call("/users/push-token", { method: "POST", token: user.token, json });
    const bad = await post({ token: "", platform: "windows", device_name: "x".repeat(201) });
    expect(bad.status).toBe(400);
    expect(problemPaths(bad)).toEqual(["device_name", "platform", "token"]);
    expect(problemPaths(await post({ platform: "web" }))).toEqual(["token"]);
    expect(problemPaths(await post({ token: "x".repeat(4097), platform: "web" }))).toEqual(["token"]);
    expect(problemPaths(await post({ token: " padded ", platform: "web" }))).toEqual(["token"]);
    expect((await post({ token: "t", platform: "web", user_id: randomUUID() })).status).toBe(400);
  });

  it("authorisation: a token registers for the caller only", async () => {
    let caller: ApiUser | null = null;
    await runMatrix(h, {
      arrange: async () => `tok-${randomUUID()}`,
      act: async (_h, who, token) => {
        caller = who;
        return h.call("/users/push-token", {
          method: "POST",
          token: who?.token ?? null,
          json: { token, platform: "web" },
        });
      },
      expect: { anon: 401, owner: 201, other: 201, disabled: 403, admin: 201 },
      check: async (res, who, token) => {
        const rows = await h.su<
          { user_id: string }[]
        >`select user_id from public.push_tokens where token = ${token}`;
        expect(rows, who).toEqual([{ user_id: caller!.id }]);
      },
    });
  });
});

describe("DELETE /users/account", () => {
  it("needs the confirmation body: a stray call erases nothing", async () => {
    const user = await h.user();
    const none = await h.call("/users/account", { method: "DELETE", token: user.token });
    expect(none.status).toBe(400);
    const wrong = await deleteAccount(user, { confirm: "delete" });
    expect(wrong.status).toBe(400);
    expect(problemPaths(wrong)).toEqual(["confirm"]);
    expect(problemPaths(await deleteAccount(user, {}))).toEqual(["confirm"]);
    const [{ count }] = await h.su<
      { count: string }[]
    >`select count(*) from auth.users where id = ${user.id}`;
    expect(Number(count)).toBe(1);
  });

  it("erases every row, object (row and bytes) and the auth user, and leaves another user untouched", async () => {
    const [user, bystander] = [await h.user(), await h.user()];
    const mine = await seed(user);
    const theirs = await seed(bystander);
    const before = await tracesOf(user.id, mine.objects);
    expect(before).toMatchObject({
      auth_users: 1,
      datasets: 1,
      generation_requests: 1,
      storage_objects: 5,
      files_on_disk: 5,
    });
    expect(before.api_request_logs).toBeGreaterThan(0);
    const bystanderBefore = await tracesOf(bystander.id, theirs.objects);

    const logFrom = h.logLines.length;
    const res = await deleteAccount(user);
    expect(res.status, res.text).toBe(200);
    expect(data(res)).toMatchObject({
      erased: true,
      objects_removed: { datasets: 2, synthetic: 1, models: 1, reports: 1, total: 5 },
      rows_removed: { profiles: 1, datasets: 1, generation_requests: 1, notifications: 2, push_tokens: 1 },
      rows_anonymised: { api_request_logs: before.api_request_logs, admin_action_logs: 0 },
      logged: true,
    });
    await h.deps.requestLog.flush();

    expect(await tracesOf(user.id, mine.objects)).toEqual({
      auth_users: 0,
      profiles: 0,
      datasets: 0,
      generation_requests: 0,
      notifications: 0,
      push_tokens: 0,
      api_request_logs: 0,
      api_rate_limits: 0,
      storage_objects: 0,
      files_on_disk: 0,
    });
    // The request log keeps what happened, without who; this very request's line too.
    const [{ count: anonymous }] = await h.su<{ count: string }[]>`
      select count(*) from public.api_request_logs
       where user_id is null and route = '/api/users/account' and method = 'DELETE' and status = 200`;
    expect(Number(anonymous)).toBeGreaterThan(0);
    expect(await tracesOf(bystander.id, theirs.objects)).toEqual(bystanderBefore);
    const download = await disk.forUser(bystander.token).download("synthetic", theirs.objects[2].path);
    expect(new TextDecoder().decode(download)).toBe(theirs.objects[2].bytes);

    // The audit line: the fact and the counts, nothing that names the person.
    const lines = await h.su<{ admin_id: string | null; target_id: string | null; details: unknown }[]>`
      select admin_id, target_id, details from public.admin_action_logs
       where action = 'account_erased' and details ->> 'request_id' = ${res.headers.get("x-request-id")!}`;
    expect(lines).toEqual([
      {
        admin_id: null,
        target_id: null,
        details: {
          objects_removed: data(res).objects_removed,
          rows_removed: data(res).rows_removed,
          rows_anonymised: data(res).rows_anonymised,
          request_id: res.headers.get("x-request-id"),
        },
      },
    ]);
    // What the erasure itself logs (earlier requests' lines are the function's past stdout).
    const everything = JSON.stringify(lines) + h.logLines.slice(logFrom).join("\n");
    expect(everything).not.toContain(user.id);
    expect(everything).not.toContain(user.email);
  });

  it("when Supabase Auth fails, says what was done and what remains; calling again finishes", async () => {
    const user = await h.user();
    const seeded = await seed(user);
    authOutageFor.add(user.id);
    const failed = await deleteAccount(user);
    expect(failed.status).toBe(502);
    expect(failed.body.error).toMatchObject({
      code: "AUTH_ADMIN_ERROR",
      details: {
        done: { objects_removed: { datasets: 2, synthetic: 1, models: 1, reports: 1 } },
        remaining: ["rows", "auth user"],
      },
    });
    expect(await tracesOf(user.id, seeded.objects)).toMatchObject({
      auth_users: 1,
      datasets: 1,
      storage_objects: 0,
      files_on_disk: 0,
    });

    authOutageFor.delete(user.id);
    const finished = await deleteAccount(user);
    expect(finished.status, finished.text).toBe(200);
    expect(data(finished)).toMatchObject({
      objects_removed: { total: 0 },
      rows_removed: { datasets: 1, generation_requests: 1 },
    });
    expect(await tracesOf(user.id, seeded.objects)).toMatchObject({
      auth_users: 0,
      profiles: 0,
      datasets: 0,
      storage_objects: 0,
    });
  });

  it("when Storage fails part-way, keeps the account and its rows; calling again finishes", async () => {
    const user = await h.user();
    const seeded = await seed(user);
    storageOutageFor.add(user.id);
    const failed = await deleteAccount(user);
    storageOutageFor.delete(user.id);
    expect(failed.status).toBe(502);
    expect(failed.body.error).toMatchObject({
      code: "STORAGE_ERROR",
      details: {
        done: { objects_removed: { datasets: 2, synthetic: 1, models: 0, reports: 0 } },
        remaining: ["storage objects", "rows", "auth user"],
        retryable: true,
      },
    });
    // The account still works, so the caller can finish the job.
    expect(await tracesOf(user.id, seeded.objects)).toMatchObject({
      auth_users: 1,
      datasets: 1,
      generation_requests: 1,
      storage_objects: 2,
      files_on_disk: 2,
    });
    expect((await h.call("/users/profile", { token: user.token })).status).toBe(200);

    const finished = await deleteAccount(user);
    expect(finished.status, finished.text).toBe(200);
    expect(data(finished)).toMatchObject({ objects_removed: { models: 1, reports: 1, total: 2 } });
    expect(await tracesOf(user.id, seeded.objects)).toMatchObject({
      auth_users: 0,
      datasets: 0,
      storage_objects: 0,
      files_on_disk: 0,
    });
  });

  it(`is rate-limited: attempt ${DELETIONS_PER_DAY + 1} within the window is 429 with Retry-After`, async () => {
    const user = await h.user();
    authOutageFor.add(user.id);
    try {
      for (let i = 0; i < DELETIONS_PER_DAY; i++) expect((await deleteAccount(user)).status).toBe(502);
      const limited = await deleteAccount(user);
      expect(limited.status).toBe(429);
      expect(limited.body.error?.code).toBe("RATE_LIMITED");
      const retryAfter = Number(limited.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(86_400);
    } finally {
      authOutageFor.delete(user.id);
    }
    // The refused attempt did nothing: the account is still there.
    const [{ count }] = await h.su<
      { count: string }[]
    >`select count(*) from auth.users where id = ${user.id}`;
    expect(Number(count)).toBe(1);
  });

  it("authorisation: each caller erases their own account, never the owner's", async () => {
    let caller: ApiUser | null = null;
    await runMatrix(h, {
      arrange: async (_h, owner) => {
        await seed(owner);
        return owner;
      },
      act: async (_h, who) => {
        caller = who;
        return deleteAccount(who);
      },
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
      check: async (res, who: Who, owner) => {
        const [{ callers, owners, owner_objects }] = await h.su<
          { callers: string; owners: string; owner_objects: string }[]
        >`
          select (select count(*) from auth.users where id = ${caller!.id}) as callers,
                 (select count(*) from auth.users where id = ${owner.id}) as owners,
                 (select count(*) from storage.objects where name like ${`${owner.id}/%`}) as owner_objects`;
        expect(Number(callers), who).toBe(0);
        expect(Number(owners), who).toBe(who === "owner" ? 0 : 1);
        expect(Number(owner_objects), who).toBe(who === "owner" ? 0 : 5);
      },
    });
  });
});

interface ExportDoc {
  user: { id: string; email: string | null; created_at: string | null; role: string };
  profile: { id: string } | null;
  datasets: { items: { id: string; owner_id: string }[]; count: number; truncated: boolean };
  generation_requests: { items: { id: string; owner_id: string }[]; count: number; truncated: boolean };
  notifications: { items: { user_id: string; title: string }[]; count: number; truncated: boolean };
  push_tokens: { items: { user_id: string; token: string }[] };
  api_request_logs: { items: { user_id: string; route: string }[]; count: number };
  optimization_runs: { items: unknown[] };
  optimization_trials: { items: unknown[] };
  storage: {
    items: { bucket: Bucket; path: string; size: number; signed_url: string }[];
    count: number;
    truncated: boolean;
  };
  signed_urls_expire_at: string;
}

describe("GET /users/export", () => {
  it("holds everything of the caller, with working signed links, and nothing of anyone else", async () => {
    const [user, other] = [await h.user(), await h.user()];
    const mine = await seed(user);
    const theirs = await seed(other);
    const res = await h.call("/users/export", { token: user.token });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="synth-export-${user.id}.json"`,
    );
    const doc = data<ExportDoc>(res);
    expect(doc.user).toMatchObject({ id: user.id, email: user.email, role: "user" });
    expect(Date.parse(doc.user.created_at ?? "")).not.toBeNaN();
    expect(doc.profile?.id).toBe(user.id);
    expect(doc.datasets.items.map((d) => d.id)).toEqual([mine.datasetId]);
    expect(doc.datasets.items[0]).toMatchObject({ status: "ready", storage_path: mine.objects[0].path });
    expect(doc.generation_requests.items.map((g) => g.id)).toEqual([mine.generationId]);
    expect(doc.notifications.items.map((n) => n.title).sort()).toEqual(["Maintenance tonight", "Welcome"]);
    expect(doc.push_tokens.items).toMatchObject([{ user_id: user.id, token: `t-${user.id}` }]);
    expect(doc.api_request_logs.count).toBeGreaterThan(0);
    expect(doc.api_request_logs.items.every((l) => l.user_id === user.id)).toBe(true);
    expect(doc.datasets.truncated).toBe(false);

    expect(doc.storage.count).toBe(5);
    expect(doc.storage.truncated).toBe(false);
    expect(doc.storage.items.map((o) => `${o.bucket}/${o.path}`).sort()).toEqual(
      mine.objects.map((o) => `${o.bucket}/${o.path}`).sort(),
    );
    expect(Date.parse(doc.signed_urls_expire_at) - Date.now()).toBeLessThanOrEqual(
      h.deps.config.signedUrlSeconds * 1000,
    );
    for (const object of doc.storage.items) {
      const expected = mine.objects.find((o) => o.bucket === object.bucket && o.path === object.path)!;
      const download = await signedFetch(object.signed_url);
      expect(download.status, object.signed_url).toBe(200);
      expect(await download.text()).toBe(expected.bytes);
      expect(object.size).toBe(new TextEncoder().encode(expected.bytes).length);
    }

    const text = res.text;
    expect(text).not.toContain(other.id);
    expect(text).not.toContain(other.email);
    expect(text).not.toContain(theirs.datasetId);
  });

  it("caps a collection at 10 000 rows and says it is truncated", async () => {
    const user = await h.user();
    await h.su`insert into public.notifications (user_id, kind, title)
               select ${user.id}, 'system', 'n' || i from generate_series(1, 10001) as i`;
    const res = await h.call("/users/export", { token: user.token });
    expect(res.status).toBe(200);
    const doc = data<ExportDoc>(res);
    expect(doc.notifications.count).toBe(10_000);
    expect(doc.notifications.items).toHaveLength(10_000);
    expect(doc.notifications).toMatchObject({ truncated: true });
    expect(new Set(doc.notifications.items.map((n) => n.title)).size).toBe(10_000);
  });

  it("answers an empty account with empty collections", async () => {
    const user = await h.user();
    const doc = data<ExportDoc>(await h.call("/users/export", { token: user.token }));
    expect(doc.datasets).toEqual({ items: [], count: 0, truncated: false });
    expect(doc.storage).toEqual({ items: [], count: 0, truncated: false });
    expect(doc.optimization_runs.items).toEqual([]);
  });

  it("authorisation: each caller exports their own data; an admin's export holds nobody else's", async () => {
    let caller: ApiUser | null = null;
    await runMatrix(h, {
      arrange: async (_h, owner) => ({ owner, seeded: await seed(owner) }),
      act: async (_h, who) => {
        caller = who;
        return h.call("/users/export", { token: who?.token ?? null });
      },
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
      check: (res, who, { owner, seeded }) => {
        const doc = data<ExportDoc>(res);
        expect(doc.user.id, who).toBe(caller!.id);
        if (who === "owner") {
          expect(doc.datasets.items.map((d) => d.id)).toEqual([seeded.datasetId]);
          expect(doc.storage.count).toBe(5);
        } else {
          expect(res.text, who).not.toContain(owner.id);
          expect(doc.datasets.count, who).toBe(0);
          expect(doc.storage.count, who).toBe(0);
        }
      },
    });
  });
});

describe("the /users routes in the OpenAPI document", () => {
  it("documents every /users operation", async () => {
    const doc = JSON.parse((await h.call("/openapi.json")).text) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const ops = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith("/api/users"))
      .flatMap(([p, o]) => Object.keys(o).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(ops).toEqual([
      "DELETE /api/users/account",
      "GET /api/users/export",
      "GET /api/users/profile",
      "POST /api/users/push-token",
      "PUT /api/users/profile",
    ]);
    expect(BUCKETS).toHaveLength(4);
  });
});
