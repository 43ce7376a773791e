import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asServiceRole, asUser, type JwtClaims, type Tx } from "../../shared/platform/db.ts";
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
 * The row-level security matrix: every table and bucket, every operation, run through the app's own
 * asUser() path (role authenticated or anon with request.jwt.claims set), so PostgreSQL enforces it.
 * Each case: who acts, on whose row, and what must happen.
 */
let fx: DbFixture;
let A: TestUser;
let B: TestUser;
let admin: TestUser;
let fakeAdmin: TestUser;

interface Owned {
  dataset: string;
  generation: string;
  run: string;
  trial: string;
  notification: string;
  pushToken: string;
  objects: Record<string, string>;
}
const rows: Record<string, Owned> = {};

async function seed(user: TestUser): Promise<Owned> {
  const { su } = fx;
  const dataset = await createDataset(su, user.id);
  const generation = await createGeneration(su, user.id, dataset);
  const [run] = await su<{ id: string }[]>`
    insert into public.optimization_runs (owner_id, dataset_id, model_type, method, search_space)
    values (${user.id}, ${dataset}, 'tvae', 'random', '{"epochs": [10, 20]}') returning id`;
  const [trial] = await su<{ id: string }[]>`
    insert into public.optimization_trials (run_id, owner_id, trial_number, params)
    values (${run.id}, ${user.id}, 0, '{"epochs": 10}') returning id`;
  const [notification] = await su<{ id: string }[]>`
    insert into public.notifications (user_id, kind, title) values (${user.id}, 'system', 'hello') returning id`;
  const [pushToken] = await su<{ id: string }[]>`
    insert into public.push_tokens (user_id, token, platform) values (${user.id}, ${randomUUID()}, 'web') returning id`;
  await su`insert into public.api_request_logs (request_id, user_id, method, route, status, duration_ms)
           values (${randomUUID()}, ${user.id}, 'GET', '/datasets', 200, 3)`;
  const objects: Record<string, string> = {};
  for (const bucket of ["datasets", "synthetic", "models", "reports"]) {
    const name = `${user.id}/${randomUUID()}.bin`;
    await su`insert into storage.objects (bucket_id, name, owner) values (${bucket}, ${name}, ${user.id})`;
    objects[bucket] = name;
  }
  return {
    dataset,
    generation,
    run: run.id,
    trial: trial.id,
    notification: notification.id,
    pushToken: pushToken.id,
    objects,
  };
}

beforeAll(async () => {
  fx = openDb();
  A = await createUser(fx.su);
  B = await createUser(fx.su);
  admin = await createUser(fx.su, { admin: true });
  // Claims to be admin where users can write (user_metadata): must count for nothing.
  fakeAdmin = await createUser(fx.su, { userMetadata: { role: "admin" } });
  fakeAdmin.claims = { ...fakeAdmin.claims, user_metadata: { role: "admin" } };
  rows.A = await seed(A);
  rows.B = await seed(B);
  await fx.su`insert into public.admin_action_logs (admin_id, action) values (${admin.id}, 'seed')`;
});

afterAll(async () => {
  await fx.close();
});

type Actor = "A" | "B" | "admin" | "fakeAdmin" | "anon";
const claimsOf = (actor: Actor): JwtClaims | null =>
  actor === "anon" ? null : { A, B, admin, fakeAdmin }[actor].claims;

/** Rows a statement returned or touched; a permission error is reported as its SQLSTATE. */
async function attempt(actor: Actor, fn: (tx: Tx) => Promise<unknown[]>): Promise<number | string> {
  try {
    const result = await asUser(fx.db, claimsOf(actor), fn);
    return result.length;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code) return code;
    throw error;
  }
}

const DENIED = "42501"; // insufficient_privilege: no grant, or the row violates a policy's WITH CHECK
const NOTHING = [0, DENIED]; // RLS hides the row (0 rows) or the role has no privilege at all

type Case = {
  name: string;
  actor: Actor;
  run: (tx: Tx) => Promise<unknown[]>;
  expect: number | string | (number | string)[];
};

const idOf = (owner: "A" | "B", key: Exclude<keyof Owned, "objects">) => rows[owner][key];

function tableCases(): Case[] {
  const cases: Case[] = [];
  const sel =
    (table: string, idCol: string, owner: "A" | "B", key: Exclude<keyof Owned, "objects">) => (tx: Tx) =>
      sql`select 1 from ${sql.table(table)} where ${sql.ref(idCol)} = ${idOf(owner, key)}`
        .execute(tx)
        .then((r) => r.rows);

  const owned: { table: string; key: Exclude<keyof Owned, "objects">; adminReads: boolean }[] = [
    { table: "datasets", key: "dataset", adminReads: true },
    { table: "generation_requests", key: "generation", adminReads: true },
    { table: "optimization_runs", key: "run", adminReads: true },
    { table: "optimization_trials", key: "trial", adminReads: true },
    { table: "notifications", key: "notification", adminReads: false },
    { table: "push_tokens", key: "pushToken", adminReads: false },
  ];
  for (const t of owned) {
    cases.push(
      {
        name: `${t.table}: owner selects own row`,
        actor: "A",
        run: sel(t.table, "id", "A", t.key),
        expect: 1,
      },
      {
        name: `${t.table}: user cannot select another's row`,
        actor: "A",
        run: sel(t.table, "id", "B", t.key),
        expect: 0,
      },
      {
        name: `${t.table}: fake admin cannot select another's row`,
        actor: "fakeAdmin",
        run: sel(t.table, "id", "B", t.key),
        expect: 0,
      },
      {
        name: `${t.table}: anon sees nothing`,
        actor: "anon",
        run: sel(t.table, "id", "B", t.key),
        expect: NOTHING,
      },
      {
        name: `${t.table}: admin ${t.adminReads ? "reads" : "cannot read"} a user's row`,
        actor: "admin",
        run: sel(t.table, "id", "B", t.key),
        expect: t.adminReads ? 1 : 0,
      },
      {
        name: `${t.table}: user cannot delete another's row`,
        actor: "A",
        run: (tx) =>
          sql`delete from ${sql.table(t.table)} where id = ${idOf("B", t.key)} returning id`
            .execute(tx)
            .then((r) => r.rows),
        expect: NOTHING,
      },
    );
  }
  // Profiles: keyed by the user id.
  const profileSel = (who: TestUser) => (tx: Tx) =>
    tx.selectFrom("profiles").select("id").where("id", "=", who.id).execute();
  cases.push(
    { name: "profiles: owner selects own", actor: "A", run: profileSel(A), expect: 1 },
    { name: "profiles: user cannot select another's", actor: "A", run: profileSel(B), expect: 0 },
    { name: "profiles: anon sees nothing", actor: "anon", run: profileSel(A), expect: NOTHING },
    { name: "profiles: admin reads a user's", actor: "admin", run: profileSel(B), expect: 1 },
    {
      name: "profiles: owner edits own display name",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("profiles")
          .set({ display_name: "Ada" })
          .where("id", "=", A.id)
          .returning("id")
          .execute(),
      expect: 1,
    },
    {
      name: "profiles: user cannot edit another's",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("profiles")
          .set({ display_name: "x" })
          .where("id", "=", B.id)
          .returning("id")
          .execute(),
      expect: 0,
    },
    {
      name: "profiles: user cannot insert a profile",
      actor: "A",
      run: (tx) => tx.insertInto("profiles").values({ id: A.id }).returning("id").execute(),
      expect: DENIED,
    },
    {
      name: "profiles: user cannot delete own profile row",
      actor: "A",
      run: (tx) => tx.deleteFrom("profiles").where("id", "=", A.id).returning("id").execute(),
      expect: DENIED,
    },
  );
  return cases;
}

function writeCases(): Case[] {
  return [
    // datasets
    {
      name: "datasets: owner registers a file in own folder",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("datasets")
          .values({ owner_id: A.id, name: "mine", storage_path: `${A.id}/new.csv`, format: "csv" })
          .returning("id")
          .execute(),
      expect: 1,
    },
    {
      name: "datasets: user cannot register a row owned by another",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("datasets")
          .values({ owner_id: B.id, name: "theirs", storage_path: `${B.id}/x.csv`, format: "csv" })
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "datasets: user cannot register another user's upload path",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("datasets")
          .values({ owner_id: A.id, name: "theirs", storage_path: `${B.id}/x.csv`, format: "csv" })
          .returning("id")
          .execute(),
      expect: "23514",
    },
    {
      name: "datasets: user cannot mark own dataset ready",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("datasets")
          .set({ status: "ready" })
          .where("id", "=", rows.A.dataset)
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "datasets: user cannot write a profile",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("datasets")
          .set({ profile: { rows: 1 } })
          .where("id", "=", rows.A.dataset)
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "datasets: user cannot rename another's",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("datasets")
          .set({ name: "x" })
          .where("id", "=", rows.B.dataset)
          .returning("id")
          .execute(),
      expect: 0,
    },
    // generation requests
    {
      name: "generation_requests: owner creates on own dataset",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("generation_requests")
          .values({ owner_id: A.id, dataset_id: rows.A.dataset, model_type: "tvae", sample_size: 10 })
          .returning("id")
          .execute(),
      expect: 1,
    },
    {
      name: "generation_requests: user cannot create on another's dataset",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("generation_requests")
          .values({ owner_id: A.id, dataset_id: rows.B.dataset, model_type: "tvae", sample_size: 10 })
          .returning("id")
          .execute(),
      expect: "23503",
    },
    {
      name: "generation_requests: user cannot create for another user",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("generation_requests")
          .values({ owner_id: B.id, dataset_id: rows.B.dataset, model_type: "tvae", sample_size: 10 })
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "generation_requests: user cannot insert a status",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("generation_requests")
          .values({
            owner_id: A.id,
            dataset_id: rows.A.dataset,
            model_type: "tvae",
            sample_size: 10,
            status: "succeeded",
          })
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    ...(
      [
        "status",
        "locked_by",
        "attempts",
        "result_paths",
        "quality_summary",
        "progress",
        "approved_by",
      ] as const
    ).map((column): Case => ({
      name: `generation_requests: owner cannot set ${column}`,
      actor: "A",
      run: (tx) => {
        const values = {
          status: "succeeded",
          locked_by: "me",
          attempts: 0,
          result_paths: { synthetic: "x" },
          quality_summary: { overall: 1 },
          progress: { epoch: 1 },
          approved_by: A.id,
        } as const;
        return tx
          .updateTable("generation_requests")
          .set({ [column]: values[column] })
          .where("id", "=", rows.A.generation)
          .returning("id")
          .execute();
      },
      expect: DENIED,
    })),
    {
      name: "generation_requests: user cannot cancel another's",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("generation_requests")
          .set({ cancel_requested: true })
          .where("id", "=", rows.B.generation)
          .returning("id")
          .execute(),
      expect: 0,
    },
    {
      name: "generation_requests: user cannot delete own (history is kept)",
      actor: "A",
      run: (tx) =>
        tx.deleteFrom("generation_requests").where("id", "=", rows.A.generation).returning("id").execute(),
      expect: DENIED,
    },
    {
      name: "generation_requests: fake admin cannot approve",
      actor: "fakeAdmin",
      run: (tx) =>
        sql`select public.decide_generation_request(${rows.B.generation}::uuid, true, null)`
          .execute(tx)
          .then((r) => r.rows),
      expect: DENIED,
    },
    // optimisation
    {
      name: "optimization_runs: owner starts a run on own dataset",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("optimization_runs")
          .values({
            owner_id: A.id,
            dataset_id: rows.A.dataset,
            model_type: "ctgan",
            method: "bayesian",
            search_space: { epochs: [1, 2] },
          })
          .returning("id")
          .execute(),
      expect: 1,
    },
    {
      name: "optimization_runs: user cannot attach a run to another's generation request",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("optimization_runs")
          .values({
            owner_id: A.id,
            dataset_id: rows.A.dataset,
            generation_request_id: rows.B.generation,
            model_type: "ctgan",
            method: "grid",
            search_space: {},
          })
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "optimization_runs: owner cannot write the best score",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("optimization_runs")
          .set({ best_score: 1 })
          .where("id", "=", rows.A.run)
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "optimization_trials: user cannot create trials",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("optimization_trials")
          .values({ run_id: rows.A.run, owner_id: A.id, trial_number: 9, params: {} })
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "optimization_trials: user cannot score own trial",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("optimization_trials")
          .set({ score: 1 })
          .where("id", "=", rows.A.trial)
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "optimization_runs: user cannot start a run for another user",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("optimization_runs")
          .values({
            owner_id: B.id,
            dataset_id: rows.B.dataset,
            model_type: "ctgan",
            method: "grid",
            search_space: {},
          })
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "optimization_runs: user cannot cancel another's run",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("optimization_runs")
          .set({ cancel_requested: true })
          .where("id", "=", rows.B.run)
          .returning("id")
          .execute(),
      expect: 0,
    },
    // notifications and push tokens
    {
      name: "notifications: recipient marks as read",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("notifications")
          .set({ read_at: new Date() })
          .where("id", "=", rows.A.notification)
          .returning("id")
          .execute(),
      expect: 1,
    },
    {
      name: "notifications: user cannot mark another's as read",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("notifications")
          .set({ read_at: new Date() })
          .where("id", "=", rows.B.notification)
          .returning("id")
          .execute(),
      expect: 0,
    },
    {
      name: "notifications: user cannot forge a notification",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("notifications")
          .values({ user_id: B.id, kind: "system", title: "phish" })
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "notifications: user cannot rewrite the text",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("notifications")
          .set({ title: "x" })
          .where("id", "=", rows.A.notification)
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "push_tokens: owner registers a device",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("push_tokens")
          .values({ user_id: A.id, token: randomUUID(), platform: "ios" })
          .returning("id")
          .execute(),
      expect: 1,
    },
    {
      name: "push_tokens: user cannot register a device for another",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("push_tokens")
          .values({ user_id: B.id, token: randomUUID(), platform: "ios" })
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "push_tokens: user cannot rename another's device",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("push_tokens")
          .set({ device_name: "x" })
          .where("id", "=", rows.B.pushToken)
          .returning("id")
          .execute(),
      expect: 0,
    },
    // logs and settings
    {
      name: "admin_action_logs: user reads nothing",
      actor: "A",
      run: (tx) => tx.selectFrom("admin_action_logs").select("id").execute(),
      expect: 0,
    },
    {
      name: "admin_action_logs: admin reads the log",
      actor: "admin",
      run: (tx) => tx.selectFrom("admin_action_logs").select("id").where("action", "=", "seed").execute(),
      expect: 1,
    },
    {
      name: "admin_action_logs: user cannot append",
      actor: "A",
      run: (tx) =>
        tx.insertInto("admin_action_logs").values({ admin_id: A.id, action: "x" }).returning("id").execute(),
      expect: DENIED,
    },
    {
      name: "admin_action_logs: fake admin cannot append",
      actor: "fakeAdmin",
      run: (tx) =>
        tx
          .insertInto("admin_action_logs")
          .values({ admin_id: fakeAdmin.id, action: "x" })
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "admin_action_logs: admin appends as self",
      actor: "admin",
      run: (tx) =>
        tx
          .insertInto("admin_action_logs")
          .values({ admin_id: admin.id, action: "note" })
          .returning("id")
          .execute(),
      expect: 1,
    },
    {
      name: "admin_action_logs: admin cannot append in another's name",
      actor: "admin",
      run: (tx) =>
        tx
          .insertInto("admin_action_logs")
          .values({ admin_id: A.id, action: "note" })
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "admin_action_logs: admin cannot rewrite the log",
      actor: "admin",
      run: (tx) =>
        tx
          .updateTable("admin_action_logs")
          .set({ action: "rewritten" })
          .where("action", "=", "seed")
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "admin_action_logs: admin cannot delete from the log",
      actor: "admin",
      run: (tx) => tx.deleteFrom("admin_action_logs").where("action", "=", "seed").returning("id").execute(),
      expect: DENIED,
    },
    {
      name: "api_request_logs: user reads own lines only",
      actor: "A",
      run: (tx) => tx.selectFrom("api_request_logs").select("user_id").where("user_id", "!=", A.id).execute(),
      expect: 0,
    },
    {
      name: "api_request_logs: user reads own line",
      actor: "A",
      run: (tx) => tx.selectFrom("api_request_logs").select("id").where("user_id", "=", A.id).execute(),
      expect: 1,
    },
    {
      name: "api_request_logs: admin reads a user's lines",
      actor: "admin",
      run: (tx) => tx.selectFrom("api_request_logs").select("id").where("user_id", "=", B.id).execute(),
      expect: 1,
    },
    {
      name: "api_request_logs: user cannot write",
      actor: "A",
      run: (tx) =>
        tx
          .insertInto("api_request_logs")
          .values({ request_id: "r", user_id: A.id, method: "GET", route: "/", status: 200, duration_ms: 1 })
          .returning("id")
          .execute(),
      expect: DENIED,
    },
    {
      name: "api_request_logs: user cannot delete log lines",
      actor: "A",
      run: (tx) => tx.deleteFrom("api_request_logs").where("user_id", "=", A.id).returning("id").execute(),
      expect: DENIED,
    },
    {
      name: "platform_settings: admin cannot delete a setting",
      actor: "admin",
      run: (tx) =>
        tx.deleteFrom("platform_settings").where("key", "=", "max_sample_size").returning("key").execute(),
      expect: DENIED,
    },
    {
      name: "platform_settings: signed-in user reads the limits",
      actor: "A",
      run: (tx) =>
        tx.selectFrom("platform_settings").select("key").where("key", "=", "max_sample_size").execute(),
      expect: 1,
    },
    {
      name: "platform_settings: anon reads nothing",
      actor: "anon",
      run: (tx) => tx.selectFrom("platform_settings").select("key").execute(),
      expect: NOTHING,
    },
    {
      name: "platform_settings: user cannot change a setting",
      actor: "A",
      run: (tx) =>
        tx
          .updateTable("platform_settings")
          .set({ value: 1e9, updated_by: A.id })
          .where("key", "=", "max_sample_size")
          .returning("key")
          .execute(),
      expect: 0,
    },
    {
      name: "platform_settings: fake admin cannot change a setting",
      actor: "fakeAdmin",
      run: (tx) =>
        tx
          .updateTable("platform_settings")
          .set({ value: 1e9, updated_by: fakeAdmin.id })
          .where("key", "=", "max_sample_size")
          .returning("key")
          .execute(),
      expect: 0,
    },
    {
      name: "platform_settings: user cannot add a setting",
      actor: "A",
      run: (tx) =>
        tx.insertInto("platform_settings").values({ key: "evil", value: 1 }).returning("key").execute(),
      expect: DENIED,
    },
    // privilege escalation through auth
    {
      name: "auth.users: user cannot make themselves admin",
      actor: "A",
      run: (tx) =>
        sql`update auth.users set raw_app_meta_data = '{"role":"admin"}' where id = ${A.id} returning id`
          .execute(tx)
          .then((r) => r.rows),
      expect: DENIED,
    },
  ];
}

function storageCases(): Case[] {
  const objSel = (owner: "A" | "B", bucket: string) => (tx: Tx) =>
    sql`select id from storage.objects where bucket_id = ${bucket} and name = ${rows[owner].objects[bucket]}`
      .execute(tx)
      .then((r) => r.rows);
  const upload = (bucket: string, folder: string) => (tx: Tx) =>
    sql`insert into storage.objects (bucket_id, name) values (${bucket}, ${`${folder}/${randomUUID()}.csv`}) returning id`
      .execute(tx)
      .then((r) => r.rows);
  const cases: Case[] = [];
  for (const bucket of ["datasets", "synthetic", "models", "reports"]) {
    cases.push(
      { name: `storage ${bucket}: owner reads own object`, actor: "A", run: objSel("A", bucket), expect: 1 },
      {
        name: `storage ${bucket}: user cannot read another's object`,
        actor: "A",
        run: objSel("B", bucket),
        expect: 0,
      },
      {
        name: `storage ${bucket}: fake admin cannot read another's object`,
        actor: "fakeAdmin",
        run: objSel("B", bucket),
        expect: 0,
      },
      {
        name: `storage ${bucket}: anon reads nothing`,
        actor: "anon",
        run: objSel("B", bucket),
        expect: NOTHING,
      },
      {
        name: `storage ${bucket}: admin reads a user's object`,
        actor: "admin",
        run: objSel("B", bucket),
        expect: 1,
      },
      {
        name: `storage ${bucket}: user cannot write into another's folder`,
        actor: "A",
        run: upload(bucket, B.id),
        expect: DENIED,
      },
      {
        name: `storage ${bucket}: user cannot delete another's object`,
        actor: "A",
        run: (tx) =>
          sql`delete from storage.objects where bucket_id = ${bucket} and name = ${rows.B.objects[bucket]} returning id`
            .execute(tx)
            .then((r) => r.rows),
        expect: 0,
      },
      {
        name: `storage ${bucket}: owner ${bucket === "datasets" ? "uploads" : "cannot forge an output"} in own folder`,
        actor: "A",
        run: upload(bucket, A.id),
        expect: bucket === "datasets" ? 1 : DENIED,
      },
    );
  }
  cases.push(
    { name: "storage: anon cannot upload", actor: "anon", run: upload("datasets", A.id), expect: DENIED },
    {
      name: "storage: user cannot upload at the bucket root",
      actor: "A",
      run: (tx) =>
        sql`insert into storage.objects (bucket_id, name) values ('datasets', 'root.csv') returning id`
          .execute(tx)
          .then((r) => r.rows),
      expect: DENIED,
    },
    {
      name: "storage.buckets: user cannot create a bucket",
      actor: "A",
      run: (tx) =>
        sql`insert into storage.buckets (id, name, public) values ('mine', 'mine', true) returning id`
          .execute(tx)
          .then((r) => r.rows),
      expect: DENIED,
    },
    {
      name: "storage.buckets: user cannot make a bucket public",
      actor: "A",
      run: (tx) =>
        sql`update storage.buckets set public = true where id = 'datasets' returning id`
          .execute(tx)
          .then((r) => r.rows),
      expect: 0,
    },
  );
  return cases;
}

/** anon (no JWT) must see nothing of any table, whatever it holds. */
async function anonCases(): Promise<Case[]> {
  const tables = await fx.su<
    { tablename: string }[]
  >`select tablename from pg_tables where schemaname = 'public'`;
  return tables.map(({ tablename }) => ({
    name: `${tablename}: anon selects nothing`,
    actor: "anon" as const,
    run: (tx: Tx) => sql`select 1 from ${sql.table(tablename)}`.execute(tx).then((r) => r.rows),
    expect: NOTHING,
  }));
}

describe("row-level security matrix", () => {
  // Built lazily: the cases close over rows seeded in beforeAll.
  const all = () => [...tableCases(), ...writeCases(), ...storageCases()];
  it("covers every table of public and every bucket", async () => {
    const tables = await fx.su<
      { tablename: string }[]
    >`select tablename from pg_tables where schemaname = 'public'`;
    const names = all().map((c) => c.name);
    for (const { tablename } of tables) {
      expect(
        names.some((n) => n.startsWith(`${tablename}:`)),
        tablename,
      ).toBe(true);
    }
    for (const bucket of ["datasets", "synthetic", "models", "reports"]) {
      expect(
        names.some((n) => n.startsWith(`storage ${bucket}:`)),
        bucket,
      ).toBe(true);
    }
  });

  it("enforces every case", async () => {
    const failures: string[] = [];
    for (const c of [...all(), ...(await anonCases())]) {
      const got = await attempt(c.actor, c.run);
      const ok = Array.isArray(c.expect) ? c.expect.includes(got) : got === c.expect;
      if (!ok)
        failures.push(
          `${c.name} [${c.actor}]: expected ${JSON.stringify(c.expect)}, got ${JSON.stringify(got)}`,
        );
    }
    expect(failures).toEqual([]);
  });

  it("does not let even the service role rewrite the admin log", async () => {
    const state = await sqlState(
      asServiceRole(fx.db, "test", (tx) =>
        tx.updateTable("admin_action_logs").set({ action: "x" }).where("action", "=", "seed").execute(),
      ),
    );
    expect(state).toBe(DENIED);
  });
});
