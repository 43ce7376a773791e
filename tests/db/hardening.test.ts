import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { asUser, type JwtClaims, type Tx } from "../../shared/platform/db.ts";
import { optimizationBudgetSchema, optimizationConfigSchema } from "../../shared/platform/job-config.ts";
import { copulaOptionsSchema } from "../../shared/synth/copula/gaussian-copula.ts";
import { ctganOptionsSchema } from "../../shared/synth/ctgan.ts";
import { tvaeOptionsSchema } from "../../shared/synth/tvae.ts";
import {
  createDataset,
  createGeneration,
  createPendingGeneration,
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
const CHECK = "23514";

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
    const pending = await createPendingGeneration(su, other.id);
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

/** A JSON Schema property as z.toJSONSchema writes the models' options (and the SQL spec mirrors). */
interface Prop {
  type: "integer" | "number" | "boolean" | "array";
  default?: unknown;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  maxItems?: number;
  maximumSetting?: string;
  items?: Prop;
}
const MODEL_SCHEMAS = {
  ctgan: ctganOptionsSchema,
  tvae: tvaeOptionsSchema,
  gaussian_copula: copulaOptionsSchema,
} as const;
type Model = keyof typeof MODEL_SCHEMAS;
const MODELS = Object.keys(MODEL_SCHEMAS) as Model[];

const zodProps = (schema: z.ZodType): Record<string, Prop> =>
  (z.toJSONSchema(schema, { io: "input" }) as { properties: Record<string, Prop> }).properties;

describe("limits: configs validated as a whole against the models' zod schemas", () => {
  let spec: Record<Model, Record<string, Prop>>;
  let budgetSpec: Record<string, Prop>;
  let settings: Record<string, number>;
  beforeAll(async () => {
    [{ spec, budgetSpec }] = await fx.su<{ spec: typeof spec; budgetSpec: typeof budgetSpec }[]>`
      select public.model_config_spec() as spec, public.optimization_budget_spec() as "budgetSpec"`;
    const rows = await fx.su<
      { key: string; value: number }[]
    >`select key, value from public.platform_settings`;
    settings = Object.fromEntries(rows.map((r) => [r.key, r.value]));
  });

  const modelProblems = async (model: string, config: unknown) =>
    (
      await fx.su<
        { p: string[] }[]
      >`select public.validate_model_config(${model}, ${fx.su.json(config as never)}) as p`
    )[0].p;
  const budgetProblems = async (budget: unknown) =>
    (
      await fx.su<
        { p: string[] }[]
      >`select public.validate_optimization_budget(${fx.su.json(budget as never)}) as p`
    )[0].p;
  const spaceProblems = async (model: string, space: unknown) =>
    (
      await fx.su<
        { p: string[] }[]
      >`select public.validate_search_space(${model}, ${fx.su.json(space as never)}) as p`
    )[0].p;
  /** The upper bound in force: the platform setting a spec names, else its constant. */
  const maxOf = (p: Prop): number => (p.maximumSetting ? settings[p.maximumSetting] : (p.maximum as number));

  it("knows exactly the hyperparameters of each model, with zod's types and lower bounds, and an upper bound on each", () => {
    for (const model of MODELS) {
      const zp = zodProps(MODEL_SCHEMAS[model]);
      const sp = spec[model];
      expect(Object.keys(sp).sort(), model).toEqual(Object.keys(zp).sort());
      for (const [key, z] of Object.entries(zp)) {
        const s = sp[key];
        const pairs: [Prop, Prop][] = [[z, s]];
        if (z.type === "array") {
          expect(s.maxItems, `${model}.${key} maxItems`).toBeGreaterThan(0);
          pairs.push([z.items as Prop, s.items as Prop]);
        }
        for (const [zz, ss] of pairs) {
          expect(ss.type, `${model}.${key} type`).toBe(zz.type);
          expect(ss.minimum, `${model}.${key} minimum`).toBe(zz.minimum);
          expect(ss.exclusiveMinimum, `${model}.${key} exclusiveMinimum`).toBe(zz.exclusiveMinimum);
          if (zz.type === "integer" || zz.type === "number") {
            expect(maxOf(ss), `${model}.${key} maximum`).toBeLessThanOrEqual(zz.maximum ?? Infinity);
            expect(maxOf(ss), `${model}.${key} maximum`).toBeGreaterThan(0);
          }
        }
      }
    }
  });

  /** Boundary cases of one property: [value, zod's verdict, whether only the platform cap refuses it]. */
  function boundaryCases(p: Prop, max: number): { value: unknown; valid: boolean; capOnly?: boolean }[] {
    if (p.type === "boolean") {
      return [
        { value: true, valid: true },
        { value: false, valid: true },
        { value: "true", valid: false },
        { value: 1, valid: false },
      ];
    }
    if (p.type === "array") {
      const item = p.items as Prop;
      const itemMax = maxOf(item);
      const ok = item.exclusiveMinimum !== undefined ? item.exclusiveMinimum + 1 : (item.minimum as number);
      return [
        { value: [], valid: true },
        { value: [ok, itemMax], valid: true },
        { value: Array.from({ length: p.maxItems as number }, () => ok), valid: true },
        { value: Array.from({ length: (p.maxItems as number) + 1 }, () => ok), valid: true, capOnly: true },
        { value: [itemMax + 1], valid: true, capOnly: true },
        { value: [1e9], valid: true, capOnly: true },
        ...boundaryCases(item, itemMax)
          .filter((c) => !c.valid)
          .map((c) => ({ value: [ok, c.value], valid: false })),
        { value: ok, valid: false },
        { value: { 0: ok }, valid: false },
      ];
    }
    const cases: { value: unknown; valid: boolean; capOnly?: boolean }[] = [
      { value: String(max), valid: false },
      { value: null, valid: false },
      { value: { value: 1 }, valid: false },
      { value: max, valid: true },
      { value: p.type === "integer" ? max + 1 : max * 1.5, valid: true, capOnly: true },
      { value: 1e9, valid: true, capOnly: true },
    ];
    if (p.exclusiveMinimum !== undefined) {
      const e = p.exclusiveMinimum;
      cases.push({ value: e, valid: false }, { value: e - 1, valid: false });
      cases.push({ value: p.type === "integer" ? e + 1 : e + 1e-9, valid: true });
    }
    if (p.minimum !== undefined) {
      cases.push({ value: p.minimum, valid: true }, { value: p.minimum - 1e-9, valid: false });
    }
    if (p.type === "integer") cases.push({ value: Math.min(max, 3) - 0.5, valid: false });
    return cases;
  }

  it("accepts each model's defaults and agrees with zod on every boundary case; the platform caps refuse the rest", async () => {
    const disagreements: string[] = [];
    let checked = 0;
    for (const model of MODELS) {
      const zp = zodProps(MODEL_SCHEMAS[model]);
      const defaults = Object.fromEntries(Object.entries(zp).map(([k, p]) => [k, p.default]));
      expect(MODEL_SCHEMAS[model].safeParse(defaults).success).toBe(true);
      expect(await modelProblems(model, defaults), `${model} defaults`).toEqual([]);
      expect(await modelProblems(model, {}), `${model} empty`).toEqual([]);
      for (const [key, p] of Object.entries(spec[model])) {
        for (const c of boundaryCases(p, maxOf(p))) {
          const config = { [key]: c.value };
          const zodValid = MODEL_SCHEMAS[model].safeParse(config).success;
          const problems = await modelProblems(model, config);
          checked++;
          const label = `${model} ${JSON.stringify(config)}`;
          if (zodValid !== c.valid)
            disagreements.push(`${label}: zod says ${zodValid}, case says ${c.valid}`);
          const sqlValid = c.valid && !c.capOnly;
          if ((problems.length === 0) !== sqlValid)
            disagreements.push(`${label}: sql ${JSON.stringify(problems)}, expected valid=${sqlValid}`);
          if (!sqlValid && !problems.every((m) => m.startsWith(key)))
            disagreements.push(`${label}: path ${problems}`);
        }
      }
      // Unknown keys, nested or not: refused (zod's neural schemas are strict too; the copula's strips them).
      for (const config of [{ hyperparameters: { epochs: 1e9 } }, { Epochs: 10 }, { __proto__x: 1 }]) {
        const problems = await modelProblems(model, config);
        if (problems.length !== 1 || !problems[0].includes("unknown hyperparameter"))
          disagreements.push(`${model} ${JSON.stringify(config)}: ${JSON.stringify(problems)}`);
        if (model !== "gaussian_copula" && MODEL_SCHEMAS[model].safeParse(config).success)
          disagreements.push(`${model} ${JSON.stringify(config)}: zod accepts`);
      }
    }
    expect(disagreements).toEqual([]);
    // Not vacuous: every key of every model contributed its cases.
    expect(checked).toBeGreaterThan(200);
    expect(await modelProblems("ctgan", [])).toEqual(["model_config: must be an object"]);
    expect(await modelProblems("ctgan", { batch_size: 500, pac: 3 })).toEqual([
      "batch_size: must be a multiple of pac (3)",
    ]);
  });

  it("bounds optimisation budgets like zod's budget schema, capped by the settings, and refuses other keys", async () => {
    const zp = zodProps(optimizationBudgetSchema);
    expect(Object.keys(budgetSpec).sort()).toEqual(Object.keys(zp).sort());
    const wrong: string[] = [];
    for (const [key, p] of Object.entries(budgetSpec)) {
      expect(p.type).toBe(zp[key].type);
      expect(p.exclusiveMinimum).toBe(zp[key].exclusiveMinimum);
      expect(p.maximumSetting, key).toBeDefined();
      for (const c of boundaryCases(p, maxOf(p))) {
        const budget = { [key]: c.value };
        const zodValid = optimizationBudgetSchema.safeParse(budget).success;
        const problems = await budgetProblems(budget);
        if (zodValid !== c.valid) wrong.push(`${JSON.stringify(budget)}: zod ${zodValid}`);
        if ((problems.length === 0) !== (c.valid && !c.capOnly))
          wrong.push(`${JSON.stringify(budget)}: ${problems}`);
      }
    }
    expect(wrong).toEqual([]);
    for (const budget of [{ trials: 1e9 }, { n_trials: 5 }, { max_trials: 5, extra: { max_trials: 1e9 } }]) {
      expect(optimizationBudgetSchema.safeParse(budget).success).toBe(false);
      expect((await budgetProblems(budget)).join()).toContain("unknown budget key");
    }
    expect(settings.max_optimization_trials).toBe(100);
    expect(await budgetProblems({ max_trials: 100, max_wall_time_seconds: 86400 })).toEqual([]);
  });

  it("validates search spaces value by value against the model's spec", async () => {
    const cases: [Model, unknown, boolean][] = [
      ["ctgan", { epochs: [10, 20], log_frequency: [true, false], generator_dim: [[64], [128, 128]] }, true],
      ["tvae", { learning_rate: { min: 1e-4, max: 1e-2, log: true }, epochs: { min: 10, max: 200 } }, true],
      ["ctgan", {}, true],
      ["ctgan", { epochs: [10, 1e9] }, false],
      ["ctgan", { epochs: { min: 1, max: 1e9 } }, false],
      ["ctgan", { epochs: { min: 20, max: 10 } }, false],
      ["ctgan", { epochs: { min: 1, max: 10, step: 1e9 } }, false],
      ["tvae", { learning_rate: { min: 0, max: 1, log: true } }, false],
      ["ctgan", { hyperparameters: [{ epochs: 1e9 }] }, false],
      ["ctgan", { epochs: [] }, false],
      ["ctgan", { epochs: Array.from({ length: 101 }, (_, i) => i + 1) }, false],
      ["ctgan", { epochs: 10 }, false],
      ["ctgan", { log_frequency: { min: 0, max: 1 } }, false],
      ["gaussian_copula", { enforceRounding: [true, false] }, true],
      ["gaussian_copula", { epochs: [10] }, false],
    ];
    for (const [model, space, valid] of cases) {
      const problems = await spaceProblems(model, space);
      expect(problems.length === 0, `${model} ${JSON.stringify(space)}: ${problems}`).toBe(valid);
      // zod checks the shape of a valid space; the values are the SQL spec's (and the models') business.
      if (valid)
        expect(optimizationConfigSchema.safeParse({ method: "random", search_space: space }).success).toBe(
          true,
        );
    }
  });
});

describe("limits: enforced on insert, as a user", () => {
  let user: TestUser;
  let dataset: string;
  beforeAll(async () => {
    user = await createUser(fx.su);
    dataset = await createDataset(fx.su, user.id);
  });
  const request = (owner: TestUser, ds: string, extra: Record<string, unknown>) =>
    sqlState(
      asUser(fx.db, owner.claims, (tx) =>
        tx
          .insertInto("generation_requests")
          .values({ owner_id: owner.id, dataset_id: ds, model_type: "ctgan", sample_size: 10, ...extra })
          .execute(),
      ),
    );
  const run = (owner: TestUser, ds: string, extra: Record<string, unknown>) =>
    sqlState(
      asUser(fx.db, owner.claims, (tx) =>
        tx
          .insertInto("optimization_runs")
          .values({
            owner_id: owner.id,
            dataset_id: ds,
            model_type: "ctgan",
            method: "random",
            search_space: { epochs: [10, 20] },
            ...extra,
          })
          .execute(),
      ),
    );

  it("refuses a model_config that hides its epochs, or carries a huge batch size, at the database", async () => {
    expect(await request(user, dataset, { model_config: { hyperparameters: { epochs: 1e9 } } })).toBe(CHECK);
    expect(await request(user, dataset, { model_config: { batch_size: 1e12 } })).toBe(CHECK);
    expect(await request(user, dataset, { model_config: { epochs: 2001 } })).toBe(CHECK);
    expect(await request(user, dataset, { model_type: "tvae", model_config: { compress_dims: [1e6] } })).toBe(
      CHECK,
    );
    const refused = asUser(fx.db, user.claims, (tx) =>
      tx
        .insertInto("generation_requests")
        .values({
          owner_id: user.id,
          dataset_id: dataset,
          model_type: "ctgan",
          sample_size: 10,
          model_config: { epochs: 0, pac: 1e9 },
        })
        .execute(),
    ).catch((e: { detail?: string }) => e.detail);
    expect(JSON.parse((await refused) as string)).toEqual([
      "epochs: must be greater than 0",
      "pac: must be at most 64",
    ]);
  });

  it("refuses an optimisation budget or search space that escapes the caps, in requests and in runs", async () => {
    const opt = (budget: unknown, space: unknown = { epochs: [10] }) => ({
      optimization_config: { method: "bayesian", search_space: space, budget },
    });
    expect(await request(user, dataset, opt({ trials: 1e9 }))).toBe(CHECK);
    expect(await request(user, dataset, opt({ max_trials: 101 }))).toBe(CHECK);
    expect(await request(user, dataset, opt({ max_wall_time_seconds: 86401 }))).toBe(CHECK);
    expect(await request(user, dataset, opt({ max_trials: 5 }, { epochs: [1e9] }))).toBe(CHECK);
    expect(
      await request(user, dataset, { optimization_config: { method: "anneal", search_space: {} } }),
    ).toBe(CHECK);
    expect(await run(user, dataset, { budget: { n_trials: 1e9 } })).toBe(CHECK);
    expect(await run(user, dataset, { budget: { max_trials: 101 } })).toBe(CHECK);
    expect(await run(user, dataset, { search_space: { epochs: { min: 1, max: 1e9 } } })).toBe(CHECK);
  });

  it("writes every budget bound out, so a runner always reads a capped trial count and wall time", async () => {
    const owner = await createUser(fx.su);
    const ds = await createDataset(fx.su, owner.id);
    expect(
      await request(owner, ds, {
        optimization_config: { method: "grid", search_space: {}, budget: { max_trials: 5 } },
      }),
    ).toBe("ok");
    expect(await run(owner, ds, {})).toBe("ok");
    const [req] = await fx.su<{ b: unknown }[]>`
      select optimization_config -> 'budget' as b from public.generation_requests where owner_id = ${owner.id}`;
    const [r] = await fx.su<
      { b: unknown }[]
    >`select budget as b from public.optimization_runs where owner_id = ${owner.id}`;
    expect(req.b).toEqual({ max_trials: 5, max_wall_time_seconds: 86400 });
    expect(r.b).toEqual({ max_trials: 100, max_wall_time_seconds: 86400 });
  });

  it("counts optimisation runs against the active-jobs limit; a request's own run shares its slot, once", async () => {
    const owner = await createUser(fx.su);
    const ds = await createDataset(fx.su, owner.id);
    for (let i = 0; i < 5; i++) expect(await run(owner, ds, {})).toBe("ok");
    expect(await request(owner, ds, {})).toBe(CHECK);
    expect(await run(owner, ds, {})).toBe(CHECK);

    const mixed = await createUser(fx.su);
    const mds = await createDataset(fx.su, mixed.id);
    for (let i = 0; i < 3; i++) expect(await request(mixed, mds, {})).toBe("ok");
    const [first] = await fx.su<{ id: string }[]>`
      select id from public.generation_requests where owner_id = ${mixed.id} order by created_at limit 1`;
    expect(await run(mixed, mds, { generation_request_id: first.id })).toBe("ok");
    expect(await run(mixed, mds, { generation_request_id: first.id })).toBe(CHECK);
    expect(await run(mixed, mds, {})).toBe("ok");
    expect(await request(mixed, mds, {})).toBe("ok");
    expect(await request(mixed, mds, {})).toBe(CHECK);
    expect(await run(mixed, mds, {})).toBe(CHECK);
  });

  it.each(["uploaded", "validating", "invalid"] as const)(
    "refuses a job on a dataset that is %s, not ready",
    async (status) => {
      const owner = await createUser(fx.su);
      const ds = await createDataset(fx.su, owner.id, status);
      expect(await request(owner, ds, {})).toBe(CHECK);
      expect(await run(owner, ds, {})).toBe(CHECK);
    },
  );
});

describe("storage paths", () => {
  let user: TestUser;
  let other: TestUser;
  beforeAll(async () => {
    user = await createUser(fx.su);
    other = await createUser(fx.su);
  });
  const unsafe = (uid: string, victim: string) => [
    `${uid}/../${victim}/x.csv`,
    `${uid}/./x.csv`,
    `${uid}//x.csv`,
    `${uid}/x.csv/`,
    `/${uid}/x.csv`,
    `${uid}/a\\..\\x.csv`,
    `${uid}/x\n.csv`,
    `${uid}/x\u0007.csv`,
    `${uid}/x\u007f.csv`,
    `${uid}/${"a".repeat(256)}.csv`,
    `${uid}/${"abcdefgh/".repeat(113)}x.csv`,
  ];

  it("one helper refuses '..', '.', empty segments, backslashes, control characters and over-long names", async () => {
    const check = async (path: string | null) =>
      (await fx.su<{ ok: boolean | null }[]>`select public.is_safe_object_path(${path}) as ok`)[0].ok;
    for (const path of unsafe(user.id, other.id)) expect(await check(path), JSON.stringify(path)).toBe(false);
    expect(await check("")).toBe(false);
    expect(await check(null)).toBe(false);
    for (const path of [
      `${user.id}/x.csv`,
      `${user.id}/2026/census..v2.csv`,
      `${user.id}/données ü.csv`,
      `${user.id}/${"a".repeat(251)}.csv`,
      `${user.id}/.hidden`,
    ])
      expect(await check(path), path).toBe(true);
  });

  it("refuses an unsafe dataset path and an unsafe upload, as the owner", async () => {
    const results: string[] = [];
    for (const path of [...unsafe(user.id, other.id), user.id]) {
      const register = await sqlState(
        asUser(fx.db, user.claims, (tx) =>
          tx
            .insertInto("datasets")
            .values({ owner_id: user.id, name: "x", storage_path: path, format: "csv" })
            .execute(),
        ),
      );
      const upload = await attempt(user.claims, (tx) =>
        rowsOf(
          sql`insert into storage.objects (bucket_id, name) values ('datasets', ${path}) returning id`.execute(
            tx,
          ),
        ),
      );
      if (register !== CHECK || (path !== user.id && upload !== DENIED))
        results.push(`${JSON.stringify(path)}: register ${register}, upload ${upload}`);
    }
    expect(results).toEqual([]);
    // Moving an own object to an unsafe name is refused too.
    const name = `${user.id}/${randomUUID()}.csv`;
    await fx.su`insert into storage.objects (bucket_id, name, owner) values ('datasets', ${name}, ${user.id})`;
    expect(
      await attempt(user.claims, (tx) =>
        rowsOf(
          sql`update storage.objects set name = ${`${user.id}/../${other.id}/x.csv`} where name = ${name} returning id`.execute(
            tx,
          ),
        ),
      ),
    ).toBe(DENIED);
  });

  it("keeps a registered dataset's file immutable: no overwrite, move, delete or re-upload; other files stay the owner's", async () => {
    const dataset = await createDataset(fx.su, user.id);
    const [{ storage_path: registered }] = await fx.su<{ storage_path: string }[]>`
      select storage_path from public.datasets where id = ${dataset}`;
    await fx.su`insert into storage.objects (bucket_id, name, owner) values ('datasets', ${registered}, ${user.id})`;
    const loose = `${user.id}/${randomUUID()}.csv`;
    await fx.su`insert into storage.objects (bucket_id, name, owner) values ('datasets', ${loose}, ${user.id})`;
    const overwrite = (name: string) =>
      attempt(user.claims, (tx) =>
        rowsOf(
          sql`update storage.objects set metadata = '{"size": 1}', updated_at = now() where bucket_id = 'datasets' and name = ${name} returning id`.execute(
            tx,
          ),
        ),
      );
    expect(await overwrite(registered)).toBe(0);
    expect(
      await attempt(user.claims, (tx) =>
        rowsOf(
          sql`update storage.objects set name = ${`${user.id}/moved.csv`} where name = ${registered} returning id`.execute(
            tx,
          ),
        ),
      ),
    ).toBe(0);
    const remove = (name: string) =>
      attempt(user.claims, (tx) =>
        rowsOf(
          sql`delete from storage.objects where bucket_id = 'datasets' and name = ${name} returning id`.execute(
            tx,
          ),
        ),
      );
    expect(await remove(registered)).toBe(0);
    await fx.su`delete from storage.objects where name = ${registered}`;
    expect(
      await attempt(user.claims, (tx) =>
        rowsOf(
          sql`insert into storage.objects (bucket_id, name) values ('datasets', ${registered}) returning id`.execute(
            tx,
          ),
        ),
      ),
    ).toBe(DENIED);
    expect(
      await attempt(user.claims, (tx) =>
        rowsOf(
          sql`update storage.objects set name = ${registered} where name = ${loose} returning id`.execute(tx),
        ),
      ),
    ).toBe(DENIED);
    expect(await overwrite(loose)).toBe(1);
    expect(await remove(loose)).toBe(1);
  });
});

describe("datasets keep describing their file and their jobs' history", () => {
  const IN_USE = "55006";

  it("refuses column_metadata edits while the dataset is being validated, and allows them after", async () => {
    const user = await createUser(fx.su);
    const dataset = await createDataset(fx.su, user.id, "validating");
    const edit = () =>
      attempt(user.claims, (tx) =>
        tx
          .updateTable("datasets")
          .set({ column_metadata: { columns: [{ name: "age", sdtype: "numerical" }] } })
          .where("id", "=", dataset)
          .returning("id")
          .execute(),
      );
    expect(await edit()).toBe(IN_USE);
    expect(
      await attempt(user.claims, (tx) =>
        tx
          .updateTable("datasets")
          .set({ name: "renamed" })
          .where("id", "=", dataset)
          .returning("id")
          .execute(),
      ),
    ).toBe(1);
    await fx.su`update public.datasets set status = 'ready' where id = ${dataset}`;
    expect(await edit()).toBe(1);
  });

  it("refuses deleting a dataset while a job on it is active; once finished, the jobs stay without it", async () => {
    const user = await createUser(fx.su);
    const dataset = await createDataset(fx.su, user.id);
    const generation = await createGeneration(fx.su, user.id, dataset);
    const [run] = await fx.su<{ id: string }[]>`
      insert into public.optimization_runs (owner_id, dataset_id, model_type, method, search_space)
      values (${user.id}, ${dataset}, 'tvae', 'random', '{}') returning id`;
    await fx.su`update public.optimization_runs set status = 'running', locked_by = 'r', locked_until = now() + interval '1 minute'
                 where id = ${run.id}`;
    const remove = () =>
      attempt(user.claims, (tx) =>
        tx.deleteFrom("datasets").where("id", "=", dataset).returning("id").execute(),
      );
    expect(await remove()).toBe(IN_USE);
    await asUser(fx.db, user.claims, (tx) =>
      tx
        .updateTable("generation_requests")
        .set({ cancel_requested: true })
        .where("id", "=", generation)
        .execute(),
    );
    expect(await remove()).toBe(IN_USE);
    await fx.su`update public.optimization_runs set status = 'succeeded' where id = ${run.id}`;
    expect(await remove()).toBe(1);
    const kept = await fx.su<{ id: string; dataset_id: string | null; owner_id: string; status: string }[]>`
      select id, dataset_id, owner_id, status from public.generation_requests where id = ${generation}
      union all
      select id, dataset_id, owner_id, status from public.optimization_runs where id = ${run.id}`;
    expect(kept).toEqual([
      { id: generation, dataset_id: null, owner_id: user.id, status: "canceled" },
      { id: run.id, dataset_id: null, owner_id: user.id, status: "succeeded" },
    ]);
    expect(
      await attempt(user.claims, (tx) =>
        tx
          .insertInto("generation_requests")
          .values({ owner_id: user.id, model_type: "ctgan", sample_size: 10 })
          .returning("id")
          .execute(),
      ),
    ).toBe("23502");
  });
});

describe("approval by another admin only", () => {
  it("refuses an admin's decision on their own request, with a clear error; another admin decides", async () => {
    const admin = await createUser(fx.su, { admin: true });
    const second = await createUser(fx.su, { admin: true });
    const dataset = await createDataset(fx.su, admin.id);
    const own = await createPendingGeneration(fx.su, admin.id, dataset);
    for (const approve of [true, false]) {
      const refused = await asUser(fx.db, admin.claims, (tx) =>
        sql`select public.decide_generation_request(${own}::uuid, ${approve}, 'mine')`.execute(tx),
      ).catch((e: { code?: string; message?: string }) => `${e.code} ${e.message}`);
      expect(refused).toBe(
        "42501 an admin cannot approve or reject their own generation request: another admin decides",
      );
    }
    await asUser(fx.db, second.claims, (tx) =>
      sql`select public.decide_generation_request(${own}::uuid, true, 'fine')`.execute(tx),
    );
    const [row] = await fx.su<{ status: string; approved_by: string }[]>`
      select status, approved_by from public.generation_requests where id = ${own}`;
    expect(row).toEqual({ status: "queued", approved_by: second.id });
  });
});

describe("platform settings are typed by key", () => {
  it("refuses a value of the wrong type or out of bounds, so inserts that read it keep working", async () => {
    const admin = await createUser(fx.su, { admin: true });
    const set = (key: string, value: unknown) =>
      sqlState(
        asUser(fx.db, admin.claims, (tx) =>
          tx
            .updateTable("platform_settings")
            .set({ value: value as never, updated_by: admin.id })
            .where("key", "=", key)
            .execute(),
        ),
      );
    const refused: [string, unknown][] = [
      ["max_epochs", "lots"],
      ["max_epochs", 20.5],
      ["max_epochs", 1e9],
      ["max_sample_size", 0],
      ["max_active_jobs_per_user", -1],
      ["max_active_jobs_per_user", { n: 5 }],
      ["generation_requires_approval", 1],
      ["generation_requires_approval", "yes"],
      ["job_max_attempts", 21],
      ["max_optimization_trials", [100]],
    ];
    const wrong: string[] = [];
    for (const [key, value] of refused) {
      const state = await set(key, value);
      if (state !== CHECK) wrong.push(`${key} = ${JSON.stringify(value)}: ${state}`);
    }
    expect(wrong).toEqual([]);
    expect(await set("max_epochs", 2000)).toBe("ok");
    expect(
      await sqlState(fx.su`update public.platform_settings set value = 'null' where key = 'max_epochs'`),
    ).toBe(CHECK);
    expect(
      await sqlState(fx.su`insert into public.platform_settings (key, value) values ('max_epoch', '10')`),
    ).toBe(CHECK);
    const user = await createUser(fx.su);
    const dataset = await createDataset(fx.su, user.id);
    expect(
      await sqlState(
        asUser(fx.db, user.claims, (tx) =>
          tx
            .insertInto("generation_requests")
            .values({ owner_id: user.id, dataset_id: dataset, model_type: "ctgan", sample_size: 10 })
            .execute(),
        ),
      ),
    ).toBe("ok");
  });
});

describe("push tokens", () => {
  it("are unique per user: registering a device another account had does not reveal it, and moves it", async () => {
    const A = await createUser(fx.su);
    const B = await createUser(fx.su);
    const token = randomUUID();
    const register = (u: TestUser) =>
      sqlState(
        asUser(fx.db, u.claims, (tx) =>
          tx.insertInto("push_tokens").values({ user_id: u.id, token, platform: "ios" }).execute(),
        ),
      );
    expect(await register(A)).toBe("ok");
    expect(await register(B)).toBe("ok");
    const owners = await fx.su<
      { user_id: string }[]
    >`select user_id from public.push_tokens where token = ${token}`;
    expect(owners).toEqual([{ user_id: B.id }]);
    expect(await register(B)).toBe("23505");
  });
});
