import { randomUUID } from "node:crypto";
import { sql, type RawBuilder } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asServiceRole, asUser, type Tx } from "../../shared/platform/db.ts";
import {
  createDataset,
  createGeneration,
  createUser,
  type ContractDb,
  type TestUser,
} from "../db/fixtures.ts";

/**
 * The row-level security matrix. One table (CASES) of {target, operation, actor, row owner, expected}
 * drives every case; its cells are written as the grid below, one line per target x operation and one
 * column per actor, and expanded into CASES. The completeness test derives the targets from the catalog
 * (every table of `public`, every row of storage.buckets) and fails on any missing cell, so a new table or
 * bucket cannot land without its row of the matrix.
 *
 * Every case runs through the app's own asUser() (or asServiceRole()) in its own transaction, which is
 * always rolled back: a write case never changes what another case sees.
 *
 * Outcomes:
 *   ok      the statement saw or changed exactly the one row it aimed at
 *   none    RLS filtered the row: a select returned 0 rows, an update or delete touched 0 rows
 *   grant   SQLSTATE 42501 "permission denied for ...": the role lacks the table or column privilege
 *   policy  SQLSTATE 42501 "new row violates row-level security policy": no WITH CHECK admits the new row
 *           (for an UPDATE that reads the table, the new row must also pass a SELECT policy: that is what
 *           still refuses user B's move into A's folder even if the update policy's WITH CHECK were loose)
 *   raised  SQLSTATE 42501 raised by a trigger or function (the append-only logs, the approval function)
 * Anything else is reported as `sqlstate:<code>` (or `rows:<n>`), which no grid cell expects.
 */

const ACTORS = ["anon", "owner", "other", "admin", "fakeAdmin", "disabled"] as const;
type GridActor = (typeof ACTORS)[number];
/** Actors that appear only in the variant cases below the grid. */
type Actor = GridActor | "disabledAdmin" | "service";

const TABLE_OPS = ["select", "insert", "update", "delete"] as const;
/** Storage operations as the Storage API performs them on storage.objects. */
const BUCKET_OPS = ["download", "upload", "overwrite", "move_out", "move_in", "delete"] as const;
type Operation = (typeof TABLE_OPS)[number] | (typeof BUCKET_OPS)[number];

const OUTCOMES = ["ok", "none", "grant", "policy", "raised"] as const;
type Expected = (typeof OUTCOMES)[number] | `sqlstate:${string}`;

/*
 * Who acts, on whose row (the grid's `row` column):
 *   user      a user-owned row: user A's for anon, owner (A itself), other (user B), admin and fakeAdmin
 *             (user_metadata.role = admin, which must count for nothing); the disabled user (banned in
 *             auth.users.banned_until, acting with a token issued before the ban) acts on its own rows,
 *             so each of its cells is one the same user was allowed or refused before the ban.
 *   self      a row in the actor's own name (a log line written as oneself)
 *   platform  a platform-wide row (a setting)
 *   admin     a row written by the admin (a line of the admin log)
 * Storage: download = select, upload = insert, overwrite = update in place, move_out = rename an object of
 * the row owner's folder into another folder (the actor's own; for the row's owner, user B's), move_in =
 * rename an object of the actor's own folder into the row owner's folder (for the owner, a rename inside
 * its own folder), delete = delete.
 */
const GRID = `
target                      op         row       anon    owner   other   admin   fakeAdmin  disabled
public.profiles             select     user      grant   ok      none    ok      none       none
public.profiles             insert     user      grant   grant   grant   grant   grant      grant
public.profiles             update     user      grant   ok      none    none    none       none
public.profiles             delete     user      grant   grant   grant   grant   grant      grant
public.datasets             select     user      grant   ok      none    ok      none       none
public.datasets             insert     user      grant   ok      policy  policy  policy     policy
public.datasets             update     user      grant   ok      none    none    none       none
public.datasets             delete     user      grant   ok      none    none    none       none
public.platform_settings    select     platform  grant   ok      ok      ok      ok         none
public.platform_settings    insert     platform  grant   grant   grant   grant   grant      grant
public.platform_settings    update     platform  grant   none    none    ok      none       none
public.platform_settings    delete     platform  grant   grant   grant   grant   grant      grant
public.admin_action_logs    select     admin     grant   none    none    ok      none       none
public.admin_action_logs    insert     self      grant   policy  policy  ok      policy     policy
public.admin_action_logs    update     admin     grant   grant   grant   grant   grant      grant
public.admin_action_logs    delete     admin     grant   grant   grant   grant   grant      grant
public.api_request_logs     select     user      grant   ok      none    ok      none       none
public.api_request_logs     insert     user      grant   grant   grant   grant   grant      grant
public.api_request_logs     update     user      grant   grant   grant   grant   grant      grant
public.api_request_logs     delete     user      grant   grant   grant   grant   grant      grant
public.generation_requests  select     user      grant   ok      none    ok      none       none
public.generation_requests  insert     user      grant   ok      policy  policy  policy     policy
public.generation_requests  update     user      grant   ok      none    none    none       none
public.generation_requests  delete     user      grant   grant   grant   grant   grant      grant
public.optimization_runs    select     user      grant   ok      none    ok      none       none
public.optimization_runs    insert     user      grant   ok      policy  policy  policy     policy
public.optimization_runs    update     user      grant   ok      none    none    none       none
public.optimization_runs    delete     user      grant   grant   grant   grant   grant      grant
public.optimization_trials  select     user      grant   ok      none    ok      none       none
public.optimization_trials  insert     user      grant   grant   grant   grant   grant      grant
public.optimization_trials  update     user      grant   grant   grant   grant   grant      grant
public.optimization_trials  delete     user      grant   grant   grant   grant   grant      grant
public.notifications        select     user      grant   ok      none    none    none       none
public.notifications        insert     user      grant   grant   grant   grant   grant      grant
public.notifications        update     user      grant   ok      none    none    none       none
public.notifications        delete     user      grant   ok      none    none    none       none
public.push_tokens          select     user      grant   ok      none    none    none       none
public.push_tokens          insert     user      grant   ok      policy  policy  policy     policy
public.push_tokens          update     user      grant   ok      none    none    none       none
public.push_tokens          delete     user      grant   ok      none    none    none       none
public.api_rate_limits      select     user      grant   grant   grant   grant   grant      grant
public.api_rate_limits      insert     user      grant   grant   grant   grant   grant      grant
public.api_rate_limits      update     user      grant   grant   grant   grant   grant      grant
public.api_rate_limits      delete     user      grant   grant   grant   grant   grant      grant
public.runner_heartbeats    select     platform  grant   none    none    ok      none       none
public.runner_heartbeats    insert     platform  grant   grant   grant   grant   grant      grant
public.runner_heartbeats    update     platform  grant   grant   grant   grant   grant      grant
public.runner_heartbeats    delete     platform  grant   grant   grant   grant   grant      grant
bucket:datasets             download   user      none    ok      none    ok      none       none
bucket:datasets             upload     user      policy  ok      policy  policy  policy     policy
bucket:datasets             overwrite  user      none    ok      none    none    none       none
bucket:datasets             move_out   user      none    policy  none    none    none       none
bucket:datasets             move_in    user      none    ok      policy  policy  policy     none
bucket:datasets             delete     user      none    ok      none    none    none       none
bucket:synthetic            download   user      none    ok      none    ok      none       none
bucket:synthetic            upload     user      policy  policy  policy  policy  policy     policy
bucket:synthetic            overwrite  user      none    none    none    none    none       none
bucket:synthetic            move_out   user      none    none    none    none    none       none
bucket:synthetic            move_in    user      none    none    none    none    none       none
bucket:synthetic            delete     user      none    ok      none    none    none       none
bucket:models               download   user      none    ok      none    ok      none       none
bucket:models               upload     user      policy  policy  policy  policy  policy     policy
bucket:models               overwrite  user      none    none    none    none    none       none
bucket:models               move_out   user      none    none    none    none    none       none
bucket:models               move_in    user      none    none    none    none    none       none
bucket:models               delete     user      none    ok      none    none    none       none
bucket:reports              download   user      none    ok      none    ok      none       none
bucket:reports              upload     user      policy  policy  policy  policy  policy     policy
bucket:reports              overwrite  user      none    none    none    none    none       none
bucket:reports              move_out   user      none    none    none    none    none       none
bucket:reports              move_in    user      none    none    none    none    none       none
bucket:reports              delete     user      none    ok      none    none    none       none
`;

type RowKind = "user" | "self" | "platform" | "admin";
/** Whose row a case touches, spelled out: A, the disabled user D, the actor itself, the platform, the admin. */
type RowOwner = "A" | "D" | "self" | "platform" | "admin";

interface Seed {
  userId: string;
  dataset: string;
  readyDataset: string;
  generation: string;
  run: string;
  trial: string;
  notification: string;
  pushToken: string;
  apiLog: string;
  objects: Record<string, string>;
  /** The file of `dataset` in the datasets bucket: registered, so immutable while the dataset exists. */
  registeredObject: string;
}

/** What an operation needs to know: who acts, whose rows it aims at, and the actor's own objects. */
interface Ctx {
  user: TestUser | null;
  row: Seed;
  /** The actor's own object per bucket (for anon: objects in a folder that belongs to nobody). */
  ownObjects: Record<string, string>;
  /** A folder that is not the row owner's: the actor's own, or user B's when the actor owns the row. */
  elsewhere: string;
}
type Run = (tx: Tx, c: Ctx) => RawBuilder<unknown>;

interface Case {
  target: string;
  operation: Operation;
  actor: Actor;
  rowOwner: RowOwner;
  expected: Expected;
  /** Set on the cases beyond the grid: a second statement for the same cell (another column, another path). */
  variant?: string;
  run: Run;
}

// ---------------------------------------------------------------------------------------------------
// How each target performs each operation. Statements aim at exactly one row; the outcome is how many
// rows they saw or touched, or the error that refused them.
// ---------------------------------------------------------------------------------------------------
let adminLogId = "";
/** The seeded runner's heartbeat (a platform row: runners write it as the service role). */
let runnerId = "";
/** Each seeded user's one rate-limit row is in this bucket. */
const RATE_BUCKET = "rls_probe";
const PROBE_SETTING = "max_sample_size";

const TABLE_DRIVERS: Record<string, Record<(typeof TABLE_OPS)[number], Run>> = {
  "public.profiles": {
    select: (_tx, c) => sql`select id from public.profiles where id = ${c.row.userId}`,
    insert: (_tx, c) => sql`insert into public.profiles (id) values (${c.row.userId})`,
    update: (_tx, c) => sql`update public.profiles set display_name = 'Renamed' where id = ${c.row.userId}`,
    delete: (_tx, c) => sql`delete from public.profiles where id = ${c.row.userId}`,
  },
  "public.datasets": {
    select: (_tx, c) => sql`select id from public.datasets where id = ${c.row.dataset}`,
    insert: (_tx, c) =>
      sql`insert into public.datasets (owner_id, name, storage_path, format)
          values (${c.row.userId}, 'new', ${`${c.row.userId}/${randomUUID()}.csv`}, 'csv')`,
    // Renaming is the owner's one ordinary edit.
    update: (_tx, c) => sql`update public.datasets set name = 'renamed' where id = ${c.row.dataset}`,
    delete: (_tx, c) => sql`delete from public.datasets where id = ${c.row.dataset}`,
  },
  "public.platform_settings": {
    select: () => sql`select key from public.platform_settings where key = ${PROBE_SETTING}`,
    insert: () => sql`insert into public.platform_settings (key, value) values ('rls_probe', '1'::jsonb)`,
    update: (_tx, c) =>
      sql`update public.platform_settings set value = '2000000'::jsonb, updated_by = ${c.user?.id ?? null}
          where key = ${PROBE_SETTING}`,
    delete: () => sql`delete from public.platform_settings where key = ${PROBE_SETTING}`,
  },
  "public.admin_action_logs": {
    select: () => sql`select id from public.admin_action_logs where id = ${adminLogId}`,
    insert: (_tx, c) =>
      sql`insert into public.admin_action_logs (admin_id, action) values (${c.user?.id ?? null}, 'probe')`,
    update: () => sql`update public.admin_action_logs set action = 'rewritten' where id = ${adminLogId}`,
    delete: () => sql`delete from public.admin_action_logs where id = ${adminLogId}`,
  },
  "public.api_request_logs": {
    select: (_tx, c) => sql`select id from public.api_request_logs where id = ${c.row.apiLog}`,
    insert: (_tx, c) =>
      sql`insert into public.api_request_logs (request_id, user_id, method, route, status, duration_ms)
          values (${randomUUID()}, ${c.row.userId}, 'GET', '/datasets', 200, 1)`,
    update: (_tx, c) => sql`update public.api_request_logs set status = 500 where id = ${c.row.apiLog}`,
    delete: (_tx, c) => sql`delete from public.api_request_logs where id = ${c.row.apiLog}`,
  },
  "public.generation_requests": {
    select: (_tx, c) => sql`select id from public.generation_requests where id = ${c.row.generation}`,
    insert: (_tx, c) =>
      sql`insert into public.generation_requests (owner_id, dataset_id, model_type, sample_size)
          values (${c.row.userId}, ${c.row.readyDataset}, 'gaussian_copula', 10)`,
    // Cancelling is the one change an owner makes to a request.
    update: (_tx, c) =>
      sql`update public.generation_requests set cancel_requested = true where id = ${c.row.generation}`,
    delete: (_tx, c) => sql`delete from public.generation_requests where id = ${c.row.generation}`,
  },
  "public.optimization_runs": {
    select: (_tx, c) => sql`select id from public.optimization_runs where id = ${c.row.run}`,
    insert: (_tx, c) =>
      sql`insert into public.optimization_runs (owner_id, dataset_id, model_type, method, search_space)
          values (${c.row.userId}, ${c.row.readyDataset}, 'tvae', 'random', '{"epochs": [10, 20]}'::jsonb)`,
    update: (_tx, c) =>
      sql`update public.optimization_runs set cancel_requested = true where id = ${c.row.run}`,
    delete: (_tx, c) => sql`delete from public.optimization_runs where id = ${c.row.run}`,
  },
  "public.optimization_trials": {
    select: (_tx, c) => sql`select id from public.optimization_trials where id = ${c.row.trial}`,
    insert: (_tx, c) =>
      sql`insert into public.optimization_trials (run_id, owner_id, trial_number, params)
          values (${c.row.run}, ${c.row.userId}, 9, '{}'::jsonb)`,
    update: (_tx, c) => sql`update public.optimization_trials set score = 1 where id = ${c.row.trial}`,
    delete: (_tx, c) => sql`delete from public.optimization_trials where id = ${c.row.trial}`,
  },
  "public.notifications": {
    select: (_tx, c) => sql`select id from public.notifications where id = ${c.row.notification}`,
    insert: (_tx, c) =>
      sql`insert into public.notifications (user_id, kind, title) values (${c.row.userId}, 'system', 'forged')`,
    update: (_tx, c) => sql`update public.notifications set read_at = now() where id = ${c.row.notification}`,
    delete: (_tx, c) => sql`delete from public.notifications where id = ${c.row.notification}`,
  },
  "public.push_tokens": {
    select: (_tx, c) => sql`select id from public.push_tokens where id = ${c.row.pushToken}`,
    insert: (_tx, c) =>
      sql`insert into public.push_tokens (user_id, token, platform) values (${c.row.userId}, ${randomUUID()}, 'ios')`,
    update: (_tx, c) =>
      sql`update public.push_tokens set device_name = 'phone' where id = ${c.row.pushToken}`,
    delete: (_tx, c) => sql`delete from public.push_tokens where id = ${c.row.pushToken}`,
  },
  "public.api_rate_limits": {
    select: (_tx, c) =>
      sql`select hits from public.api_rate_limits where user_id = ${c.row.userId} and bucket = ${RATE_BUCKET}`,
    // Forging a count (a fresh window with no hits used) is what a user would want to insert.
    insert: (_tx, c) =>
      sql`insert into public.api_rate_limits (user_id, bucket, window_start, hits)
          values (${c.row.userId}, ${RATE_BUCKET}, now() + interval '1 hour', 1)`,
    update: (_tx, c) =>
      sql`update public.api_rate_limits set hits = 1 where user_id = ${c.row.userId} and bucket = ${RATE_BUCKET}`,
    delete: (_tx, c) =>
      sql`delete from public.api_rate_limits where user_id = ${c.row.userId} and bucket = ${RATE_BUCKET}`,
  },
  "public.runner_heartbeats": {
    select: () => sql`select runner_id from public.runner_heartbeats where runner_id = ${runnerId}`,
    insert: () => sql`insert into public.runner_heartbeats (runner_id) values (${`forged-${randomUUID()}`})`,
    update: () => sql`update public.runner_heartbeats set running_jobs = 7 where runner_id = ${runnerId}`,
    delete: () => sql`delete from public.runner_heartbeats where runner_id = ${runnerId}`,
  },
};

function bucketDriver(bucket: string): Record<(typeof BUCKET_OPS)[number], Run> {
  const objectOf = (c: Ctx) => c.row.objects[bucket];
  return {
    download: (_tx, c) =>
      sql`select id from storage.objects where bucket_id = ${bucket} and name = ${objectOf(c)}`,
    upload: (_tx, c) =>
      sql`insert into storage.objects (bucket_id, name, owner)
          values (${bucket}, ${`${c.row.userId}/${randomUUID()}.bin`}, ${c.user?.id ?? null})`,
    // What the Storage API's upsert does to an existing object.
    overwrite: (_tx, c) =>
      sql`update storage.objects set metadata = '{"size": 2}'::jsonb, version = ${randomUUID()}
          where bucket_id = ${bucket} and name = ${objectOf(c)}`,
    move_out: (_tx, c) =>
      sql`update storage.objects set name = ${`${c.elsewhere}/${randomUUID()}.bin`}
          where bucket_id = ${bucket} and name = ${objectOf(c)}`,
    move_in: (_tx, c) =>
      sql`update storage.objects set name = ${`${c.row.userId}/moved-${randomUUID()}.bin`}
          where bucket_id = ${bucket} and name = ${c.ownObjects[bucket]}`,
    delete: (_tx, c) =>
      sql`delete from storage.objects where bucket_id = ${bucket} and name = ${objectOf(c)}`,
  };
}

function driverOf(target: string): Record<string, Run> | undefined {
  if (target.startsWith("bucket:")) return bucketDriver(target.slice("bucket:".length));
  return TABLE_DRIVERS[target];
}

// ---------------------------------------------------------------------------------------------------
// The one table: the grid expanded, then the variants (further statements for cells already in the grid).
// ---------------------------------------------------------------------------------------------------
function rowOwnerOf(kind: RowKind, actor: Actor): RowOwner {
  if (kind === "user") return actor === "disabled" ? "D" : "A";
  return kind;
}

function expandGrid(grid: string): Case[] {
  const lines = grid
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/));
  const [header, ...body] = lines;
  const actors = header.slice(3);
  if (actors.join(",") !== ACTORS.join(",")) throw new Error(`grid header names ${actors.join(",")}`);
  return body.flatMap(([target, operation, kind, ...outcomes]) => {
    if (outcomes.length !== ACTORS.length)
      throw new Error(`grid line ${target} ${operation}: ${outcomes.length} cells`);
    const run = driverOf(target)?.[operation];
    if (!run) throw new Error(`no driver for ${target} ${operation}`);
    return ACTORS.map((actor, i): Case => {
      if (!(OUTCOMES as readonly string[]).includes(outcomes[i]))
        throw new Error(`unknown outcome ${outcomes[i]}`);
      return {
        target,
        operation: operation as Operation,
        actor,
        rowOwner: rowOwnerOf(kind as RowKind, actor),
        expected: outcomes[i] as Expected,
        run,
      };
    });
  });
}

const GENERATION_COLUMNS_OUT_OF_REACH = {
  status: sql`'succeeded'`,
  locked_by: sql`'me'`,
  attempts: sql`0`,
  result_paths: sql`'{"synthetic": "x"}'::jsonb`,
  quality_summary: sql`'{"overall": 1}'::jsonb`,
  progress: sql`'{"epoch": 1}'::jsonb`,
  approved_by: sql`auth.uid()`,
} as const;

const VARIANTS: Case[] = [
  // datasets: what validation finds is the runner's to write; the path must be the owner's own folder.
  {
    target: "public.datasets",
    operation: "update",
    actor: "owner",
    rowOwner: "A",
    variant: "mark own dataset ready",
    expected: "grant",
    run: (_tx, c) => sql`update public.datasets set status = 'ready' where id = ${c.row.dataset}`,
  },
  {
    target: "public.datasets",
    operation: "update",
    actor: "owner",
    rowOwner: "A",
    variant: "write own profile",
    expected: "grant",
    run: (_tx, c) =>
      sql`update public.datasets set profile = '{"rows": 1}'::jsonb where id = ${c.row.dataset}`,
  },
  {
    target: "public.datasets",
    operation: "update",
    actor: "owner",
    rowOwner: "A",
    variant: "edit own column metadata",
    expected: "ok",
    run: (_tx, c) =>
      sql`update public.datasets set column_metadata = '{"age": {"type": "numerical"}}'::jsonb where id = ${c.row.dataset}`,
  },
  {
    target: "public.datasets",
    operation: "insert",
    actor: "owner",
    rowOwner: "A",
    variant: "register a file in another user's folder",
    expected: "sqlstate:23514",
    run: (_tx, c) =>
      sql`insert into public.datasets (owner_id, name, storage_path, format)
          values (${c.row.userId}, 'theirs', ${`${c.elsewhere}/x.csv`}, 'csv')`,
  },
  // generation requests
  {
    target: "public.generation_requests",
    operation: "insert",
    actor: "other",
    rowOwner: "A",
    variant: "own request on A's dataset",
    expected: "sqlstate:23503",
    run: (_tx, c) =>
      sql`insert into public.generation_requests (owner_id, dataset_id, model_type, sample_size)
          values (${c.user?.id ?? null}, ${c.row.readyDataset}, 'tvae', 10)`,
  },
  {
    target: "public.generation_requests",
    operation: "insert",
    actor: "owner",
    rowOwner: "A",
    variant: "insert with a status",
    expected: "grant",
    run: (_tx, c) =>
      sql`insert into public.generation_requests (owner_id, dataset_id, model_type, sample_size, status)
          values (${c.row.userId}, ${c.row.readyDataset}, 'tvae', 10, 'succeeded')`,
  },
  ...Object.entries(GENERATION_COLUMNS_OUT_OF_REACH).map(([column, value]): Case => ({
    target: "public.generation_requests",
    operation: "update",
    actor: "owner",
    rowOwner: "A",
    variant: `set ${column}`,
    expected: "grant",
    run: (_tx, c) =>
      sql`update public.generation_requests set ${sql.ref(column)} = ${value} where id = ${c.row.generation}`,
  })),
  {
    target: "public.generation_requests",
    operation: "update",
    actor: "fakeAdmin",
    rowOwner: "A",
    variant: "approve through decide_generation_request()",
    expected: "raised",
    run: (_tx, c) => sql`select public.decide_generation_request(${c.row.generation}::uuid, true, null)`,
  },
  {
    target: "public.generation_requests",
    operation: "update",
    actor: "disabledAdmin",
    rowOwner: "A",
    variant: "banned admin approves through decide_generation_request()",
    expected: "raised",
    run: (_tx, c) => sql`select public.decide_generation_request(${c.row.generation}::uuid, true, null)`,
  },
  // optimisation
  {
    target: "public.optimization_runs",
    operation: "insert",
    actor: "other",
    rowOwner: "A",
    variant: "own run attached to A's generation request",
    expected: "policy",
    run: (_tx, c) =>
      sql`insert into public.optimization_runs (owner_id, dataset_id, generation_request_id, model_type, method, search_space)
          select ${c.user?.id ?? null}, d.id, ${c.row.generation}, 'ctgan', 'grid', '{}'::jsonb
            from public.datasets d where d.owner_id = ${c.user?.id ?? null} limit 1`,
  },
  {
    target: "public.optimization_runs",
    operation: "update",
    actor: "owner",
    rowOwner: "A",
    variant: "write own best score",
    expected: "grant",
    run: (_tx, c) => sql`update public.optimization_runs set best_score = 1 where id = ${c.row.run}`,
  },
  // notifications and devices
  {
    target: "public.notifications",
    operation: "update",
    actor: "owner",
    rowOwner: "A",
    variant: "rewrite the title",
    expected: "grant",
    run: (_tx, c) => sql`update public.notifications set title = 'x' where id = ${c.row.notification}`,
  },
  {
    target: "public.push_tokens",
    operation: "update",
    actor: "owner",
    rowOwner: "A",
    variant: "touch last_seen_at",
    expected: "ok",
    run: (_tx, c) => sql`update public.push_tokens set last_seen_at = now() where id = ${c.row.pushToken}`,
  },
  // logs: append-only even for the service role
  {
    target: "public.admin_action_logs",
    operation: "insert",
    actor: "admin",
    rowOwner: "A",
    variant: "append in another's name",
    expected: "policy",
    run: (_tx, c) =>
      sql`insert into public.admin_action_logs (admin_id, action) values (${c.row.userId}, 'forged')`,
  },
  {
    target: "public.admin_action_logs",
    operation: "update",
    actor: "service",
    rowOwner: "admin",
    variant: "service role rewrites",
    expected: "raised",
    run: () => sql`update public.admin_action_logs set action = 'rewritten' where id = ${adminLogId}`,
  },
  {
    target: "public.admin_action_logs",
    operation: "delete",
    actor: "service",
    rowOwner: "admin",
    variant: "service role deletes",
    expected: "raised",
    run: () => sql`delete from public.admin_action_logs where id = ${adminLogId}`,
  },
  {
    target: "public.api_request_logs",
    operation: "update",
    actor: "service",
    rowOwner: "A",
    variant: "service role rewrites",
    expected: "raised",
    run: (_tx, c) => sql`update public.api_request_logs set status = 500 where id = ${c.row.apiLog}`,
  },
  // A banned admin keeps no admin power either.
  {
    target: "public.platform_settings",
    operation: "update",
    actor: "disabledAdmin",
    rowOwner: "platform",
    variant: "banned admin changes a setting",
    expected: "none",
    run: TABLE_DRIVERS["public.platform_settings"].update,
  },
  {
    target: "public.admin_action_logs",
    operation: "select",
    actor: "disabledAdmin",
    rowOwner: "admin",
    variant: "banned admin reads the log",
    expected: "none",
    run: TABLE_DRIVERS["public.admin_action_logs"].select,
  },
  {
    target: "public.admin_action_logs",
    operation: "insert",
    actor: "disabledAdmin",
    rowOwner: "self",
    variant: "banned admin appends",
    expected: "policy",
    run: TABLE_DRIVERS["public.admin_action_logs"].insert,
  },
  {
    target: "public.datasets",
    operation: "select",
    actor: "disabledAdmin",
    rowOwner: "A",
    variant: "banned admin reads a user's dataset",
    expected: "none",
    run: TABLE_DRIVERS["public.datasets"].select,
  },
  {
    target: "bucket:datasets",
    operation: "download",
    actor: "disabledAdmin",
    rowOwner: "A",
    variant: "banned admin downloads a user's file",
    expected: "none",
    run: bucketDriver("datasets").download,
  },
  // storage paths
  {
    target: "bucket:datasets",
    operation: "upload",
    actor: "owner",
    rowOwner: "A",
    variant: "upload at the bucket root",
    expected: "policy",
    run: () =>
      sql`insert into storage.objects (bucket_id, name) values ('datasets', ${`${randomUUID()}.csv`})`,
  },
  ...(
    [
      ["a '..' segment into another user's folder", (c: Ctx) => `${c.row.userId}/../${c.elsewhere}/x.csv`],
      ["an empty segment", (c: Ctx) => `${c.row.userId}//x.csv`],
      ["a backslash", (c: Ctx) => `${c.row.userId}/a\\x.csv`],
      ["a control character", (c: Ctx) => `${c.row.userId}/a\u0007.csv`],
      ["a 256-byte segment", (c: Ctx) => `${c.row.userId}/${"x".repeat(256)}`],
    ] as const
  ).flatMap(([what, path]): Case[] => [
    {
      target: "bucket:datasets",
      operation: "upload",
      actor: "owner",
      rowOwner: "A",
      variant: `upload a path with ${what}`,
      expected: "policy",
      run: (_tx, c) => sql`insert into storage.objects (bucket_id, name) values ('datasets', ${path(c)})`,
    },
    {
      target: "bucket:datasets",
      operation: "move_in",
      actor: "owner",
      rowOwner: "A",
      variant: `rename own object to a path with ${what}`,
      expected: "policy",
      run: (_tx, c) =>
        sql`update storage.objects set name = ${path(c)} where bucket_id = 'datasets' and name = ${c.ownObjects.datasets}`,
    },
  ]),
  // A registered dataset's file is immutable while the dataset exists, even to its owner.
  ...(
    [
      ["overwrite", sql`update storage.objects set version = 'v2'`],
      ["move_out", sql`update storage.objects set name = name || '.moved'`],
      ["delete", sql`delete from storage.objects`],
    ] as const
  ).map(([operation, statement]): Case => ({
    target: "bucket:datasets",
    operation,
    actor: "owner",
    rowOwner: "A",
    variant: `${operation} the file of a registered dataset`,
    expected: "none",
    run: (_tx, c) => sql`${statement} where bucket_id = 'datasets' and name = ${c.row.registeredObject}`,
  })),
  // outside public and the buckets: the tables that hold authority
  {
    target: "auth.users",
    operation: "update",
    actor: "owner",
    rowOwner: "A",
    variant: "make oneself admin",
    expected: "grant",
    run: (_tx, c) =>
      sql`update auth.users set raw_app_meta_data = '{"role": "admin"}'::jsonb where id = ${c.row.userId}`,
  },
  {
    target: "storage.buckets",
    operation: "insert",
    actor: "owner",
    rowOwner: "self",
    variant: "create a public bucket",
    expected: "policy",
    run: () => sql`insert into storage.buckets (id, name, public) values ('mine', 'mine', true)`,
  },
  {
    target: "storage.buckets",
    operation: "update",
    actor: "owner",
    rowOwner: "platform",
    variant: "make a bucket public",
    expected: "none",
    run: () => sql`update storage.buckets set public = true where id = 'datasets'`,
  },
];

/** The matrix: every cell of the grid, then the variants. This is the table the tests run. */
const CELLS = expandGrid(GRID);
const CASES: Case[] = [...CELLS, ...VARIANTS];

function tally(outcomes: readonly Expected[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  return counts;
}
const cellTally = tally(CELLS.map((c) => c.expected));
const denied = (cellTally.grant ?? 0) + (cellTally.policy ?? 0) + (cellTally.raised ?? 0);
const SUMMARY =
  `${CELLS.length} cells: ${cellTally.ok ?? 0} allowed, ${cellTally.none ?? 0} no rows, ` +
  `${denied} permission denied (${cellTally.grant ?? 0} missing grant, ${cellTally.policy ?? 0} RLS policy on the new row, ` +
  `${cellTally.raised ?? 0} raised); ${VARIANTS.length} variant cases`;

// ---------------------------------------------------------------------------------------------------
// Fixture: users A, B, an admin, a fake admin, a banned user and a banned admin, each with one row of
// everything, and a few objects in a folder that belongs to nobody (anon's "own").
// ---------------------------------------------------------------------------------------------------
let fx: ContractDb;
/** The signed-in actors by name (anon and the service role have no user). */
const users: Record<string, TestUser> = {};
const seeds: Record<string, Seed> = {};
/** Every bucket of the project, read from storage.buckets, so a new bucket is seeded as the others are. */
let BUCKETS: string[] = [];
let nobodyFolder = "";
const nobodyObjects: Record<string, string> = {};

async function seed(user: TestUser): Promise<Seed> {
  const { su } = fx;
  const dataset = await createDataset(su, user.id);
  const readyDataset = await createDataset(su, user.id);
  // Jobs are only queued on a validated dataset.
  await su`update public.datasets set status = 'validating' where id = ${readyDataset}`;
  await su`update public.datasets set status = 'ready' where id = ${readyDataset}`;
  const generation = await createGeneration(su, user.id, readyDataset);
  const [run] = await su<{ id: string }[]>`
    insert into public.optimization_runs (owner_id, dataset_id, model_type, method, search_space)
    values (${user.id}, ${readyDataset}, 'tvae', 'random', '{"epochs": [10, 20]}') returning id`;
  const [trial] = await su<{ id: string }[]>`
    insert into public.optimization_trials (run_id, owner_id, trial_number, params)
    values (${run.id}, ${user.id}, 0, '{"epochs": 10}') returning id`;
  const [notification] = await su<{ id: string }[]>`
    insert into public.notifications (user_id, kind, title) values (${user.id}, 'system', 'hello') returning id`;
  const [pushToken] = await su<{ id: string }[]>`
    insert into public.push_tokens (user_id, token, platform) values (${user.id}, ${randomUUID()}, 'web') returning id`;
  const [apiLog] = await su<{ id: string }[]>`
    insert into public.api_request_logs (request_id, user_id, method, route, status, duration_ms)
    values (${randomUUID()}, ${user.id}, 'GET', '/datasets', 200, 3) returning id::text`;
  await su`insert into public.api_rate_limits (user_id, bucket, window_start, hits)
           values (${user.id}, ${RATE_BUCKET}, now(), 3)`;
  const objects: Record<string, string> = {};
  for (const bucket of BUCKETS) {
    objects[bucket] = `${user.id}/${randomUUID()}.bin`;
    await su`insert into storage.objects (bucket_id, name, owner) values (${bucket}, ${objects[bucket]}, ${user.id})`;
  }
  const [registered] = await su<{ name: string }[]>`
    insert into storage.objects (bucket_id, name, owner)
    select 'datasets', storage_path, owner_id from public.datasets where id = ${dataset} returning name`;
  return {
    userId: user.id,
    dataset,
    readyDataset,
    generation,
    run: run.id,
    trial: trial.id,
    notification: notification.id,
    pushToken: pushToken.id,
    apiLog: apiLog.id,
    objects,
    registeredObject: registered.name,
  };
}

/**
 * Bans a user the way Supabase Auth's ban does (banned_until in the future), after its token was issued:
 * the claims keep an iat from before the ban and an exp well after it, so only the database can refuse.
 */
async function ban(user: TestUser): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  user.claims = { ...user.claims, iat: now - 60, exp: now + 3600 };
  await fx.su`update auth.users set banned_until = now() + interval '1 day' where id = ${user.id}`;
}

function contextOf(c: Case): Ctx {
  const actorUser = c.actor === "anon" || c.actor === "service" ? null : (users[c.actor] ?? null);
  const rowSeed =
    c.rowOwner === "D" ? seeds.disabled : c.rowOwner === "self" && actorUser ? seeds[c.actor] : seeds.owner;
  const actorFolder = actorUser ? actorUser.id : nobodyFolder;
  return {
    user: actorUser,
    row: rowSeed,
    ownObjects: actorUser ? seeds[c.actor].objects : nobodyObjects,
    elsewhere: actorFolder === rowSeed.userId ? seeds.other.userId : actorFolder,
  };
}

/** Thrown inside the transaction after the statement ran, so asUser() rolls everything back. */
class RolledBack extends Error {
  constructor(readonly affected: number) {
    super("rolled back on purpose");
  }
}

function classify(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== "string") throw error;
  if (code !== "42501") return `sqlstate:${code}`;
  const text = String(message);
  if (text.includes("row-level security")) return "policy";
  if (text.startsWith("permission denied for")) return "grant";
  return "raised";
}

/** Runs c.run with ctx in a transaction that is always rolled back, as `as` (the case's actor by default). */
async function outcomeOf(c: Case, ctx: Ctx, as: Actor = c.actor): Promise<string> {
  const body = async (tx: Tx) => {
    const result = await c.run(tx, ctx).execute(tx);
    throw new RolledBack(
      result.numAffectedRows === undefined ? result.rows.length : Number(result.numAffectedRows),
    );
  };
  try {
    if (as === "service") await asServiceRole(fx.db, "test:rls-matrix", body);
    else await asUser(fx.db, ctx.user?.claims ?? null, body);
  } catch (error) {
    if (error instanceof RolledBack) {
      return error.affected === 1 ? "ok" : error.affected === 0 ? "none" : `rows:${error.affected}`;
    }
    return classify(error);
  }
  throw new Error("the case's transaction was not rolled back");
}

const cellKey = (target: string, operation: string, actor: string) => `${target} | ${operation} | ${actor}`;

/**
 * The matrix as a contract: every database the platform runs on (a PostgreSQL server, the embedded PGlite)
 * must give the same outcome in every cell.
 */
export function rlsContract(database: string, open: () => Promise<ContractDb>): void {
  beforeAll(async () => {
    fx = await open();
    BUCKETS = (await fx.su<{ id: string }[]>`select id from storage.buckets order by id`).map((b) => b.id);
    users.owner = await createUser(fx.su);
    users.other = await createUser(fx.su);
    users.admin = await createUser(fx.su, { admin: true });
    // Claims to be admin where users can write (user_metadata): must count for nothing.
    users.fakeAdmin = await createUser(fx.su, { userMetadata: { role: "admin" } });
    users.disabled = await createUser(fx.su);
    users.disabledAdmin = await createUser(fx.su, { admin: true });
    for (const [actor, user] of Object.entries(users)) seeds[actor] = await seed(user);
    await ban(users.disabled);
    await ban(users.disabledAdmin);
    const [line] = await fx.su<{ id: string }[]>`
      insert into public.admin_action_logs (admin_id, action) values (${users.admin.id}, 'seed') returning id::text`;
    adminLogId = line.id;
    runnerId = `rls-runner-${randomUUID()}`;
    await fx.su`insert into public.runner_heartbeats (runner_id, running_jobs, version)
                values (${runnerId}, 1, 'test')`;
    nobodyFolder = randomUUID();
    for (const bucket of BUCKETS) {
      nobodyObjects[bucket] = `${nobodyFolder}/${randomUUID()}.bin`;
      await fx.su`insert into storage.objects (bucket_id, name) values (${bucket}, ${nobodyObjects[bucket]})`;
    }
  });

  afterAll(async () => {
    await fx?.close();
  });

  describe(`row-level security matrix on ${database} (${SUMMARY})`, () => {
    it("has every table x operation x actor cell, for every table of public and every bucket, exactly once", async () => {
      const tables = await fx.su<{ name: string }[]>`
        select 'public.' || tablename as name from pg_tables where schemaname = 'public' order by 1`;
      const buckets = await fx.su<
        { name: string }[]
      >`select 'bucket:' || id as name from storage.buckets order by 1`;
      const required = [
        ...tables.flatMap(({ name }) => TABLE_OPS.flatMap((op) => ACTORS.map((a) => cellKey(name, op, a)))),
        ...buckets.flatMap(({ name }) => BUCKET_OPS.flatMap((op) => ACTORS.map((a) => cellKey(name, op, a)))),
      ];
      const present = CELLS.map((c) => cellKey(c.target, c.operation, c.actor));
      const duplicates = present.filter((key, i) => present.indexOf(key) !== i);
      const missing = required.filter((key) => !present.includes(key));
      const stale = present.filter((key) => !required.includes(key));
      expect({ missing, duplicates, stale }).toEqual({ missing: [], duplicates: [], stale: [] });
      expect(CELLS.length).toBe(required.length);
    });

    const observed: string[] = [];
    // One test per case, named by its row of the table (it.each would truncate the names).
    const ROW_NAMES: Record<RowOwner, string> = {
      A: "A's row",
      D: "its own row",
      self: "its own name",
      platform: "a platform row",
      admin: "the admin's row",
    };
    for (const c of CASES) {
      const row = `${c.target} ${c.operation} by ${c.actor} on ${ROW_NAMES[c.rowOwner]}`;
      it(`${row}${c.variant ? ` (${c.variant})` : ""}: ${c.expected}`, async () => {
        const ctx = contextOf(c);
        const got = await outcomeOf(c, ctx);
        observed.push(got);
        expect(got).toBe(c.expected);
        // "No rows" must mean that RLS hid the row, not that the statement missed it: past RLS (the service
        // role), the very same statement touches its one row.
        if (c.expected === "none")
          expect(await outcomeOf(c, ctx, "service"), "as the service role").toBe("ok");
      });
    }

    afterAll(() => {
      console.log(
        `RLS matrix: ${SUMMARY}; observed over all cases: ${JSON.stringify(tally(observed as Expected[]))}`,
      );
    });
  });
}
