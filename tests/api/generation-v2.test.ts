import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createDataset, createGeneration } from "../db/fixtures.ts";
import { jobRunOptionsSchema } from "../../shared/platform/job-options.ts";
import { ctganOptionsSchema } from "../../shared/synth/ctgan.ts";
import { tvaeOptionsSchema } from "../../shared/synth/tvae.ts";
import { copulaOptionsSchema } from "../../shared/synth/copula/gaussian-copula.ts";
import { post, randomId, readyDataset, startBody } from "./generation-fixtures.ts";
import { createHarness, type ApiResponse, type Harness } from "./harness.ts";
import { runMatrix } from "./matrix.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

interface Hyperparameter {
  name: string;
  type: string;
  default: unknown;
  description: string;
  required: boolean;
  minimum: number | null;
  exclusive_minimum: number | null;
  maximum: number | null;
  choices: unknown[] | null;
  max_items: number | null;
  items: { type: string; maximum: number | null; exclusive_minimum: number | null } | null;
}
interface Config {
  models: Record<
    string,
    { model_type: string; description: string; hyperparameters: Record<string, Hyperparameter> }
  >;
  output_formats: string[];
  privacy_guard: Record<string, Hyperparameter>;
  evaluation: Record<string, Hyperparameter>;
  limits: Record<string, number | boolean>;
}

describe("GET /generation-v2/config", () => {
  it("lists every hyperparameter of every model from the zod schemas, with default, range and description", async () => {
    const user = await h.user();
    const res = await h.call("/generation-v2/config", { token: user.token });
    expect(res.status).toBe(200);
    const config = res.body.data as Config;
    const schemas = {
      ctgan: ctganOptionsSchema,
      tvae: tvaeOptionsSchema,
      gaussian_copula: copulaOptionsSchema,
    };
    for (const [model, schema] of Object.entries(schemas)) {
      const listed = config.models[model].hyperparameters;
      expect(Object.keys(listed).sort(), model).toEqual(Object.keys(schema.shape).sort());
      const defaults = schema.parse({}) as Record<string, unknown>;
      for (const [name, p] of Object.entries(listed)) {
        expect(p.description.length, `${model}.${name} has a description`).toBeGreaterThan(10);
        expect(p.default, `${model}.${name} default`).toEqual(defaults[name] ?? null);
        expect(p.required, `${model}.${name}`).toBe(false);
      }
    }
    const ctgan = config.models.ctgan.hyperparameters;
    // The upper bounds are the platform's: max_epochs from platform_settings, the rest model_config_spec()'s.
    expect(ctgan.epochs).toMatchObject({
      type: "integer",
      default: 300,
      exclusive_minimum: 0,
      maximum: 2000,
    });
    expect(ctgan.batch_size).toMatchObject({ type: "integer", default: null, maximum: 10000 });
    expect(ctgan.generator_lr).toMatchObject({
      type: "number",
      default: 2e-4,
      exclusive_minimum: 0,
      maximum: 1,
    });
    expect(ctgan.generator_decay).toMatchObject({ minimum: 0, exclusive_minimum: null });
    expect(ctgan.generator_dim).toMatchObject({
      type: "array",
      default: [256, 256],
      max_items: 8,
      items: { type: "integer", exclusive_minimum: 0, maximum: 2048 },
    });
    expect(ctgan.log_frequency).toMatchObject({ type: "boolean", default: true, choices: [true, false] });
    expect(config.models.gaussian_copula.hyperparameters.enforceRounding).toMatchObject({
      type: "boolean",
      default: true,
    });
    expect(config.privacy_guard.min_row_count).toMatchObject({ default: 2, minimum: 2, maximum: 255 });
    expect(config.evaluation.holdout_fraction).toMatchObject({ minimum: 0, maximum: 0.5 });
    expect(config.output_formats).toEqual(["csv", "json", "xlsx", "parquet"]);
    expect(config.limits).toEqual({
      max_sample_size: 1_000_000,
      max_epochs: 2000,
      max_active_jobs_per_user: 5,
      max_conditions: 100,
      generation_requires_approval: false,
    });
  });

  it("authorisation matrix", async () => {
    await runMatrix(h, {
      arrange: async () => null,
      act: (hh, caller) => hh.call("/generation-v2/config", { token: caller?.token ?? null }),
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
    });
  });
});

const validate = (user: { token: string } | null, body: unknown) =>
  post(h, "/generation-v2/validate", user as never, body);
const verdict = (res: ApiResponse) =>
  res.body.data as {
    valid: boolean;
    problems: { path: string; message: string }[];
    estimate: Record<string, unknown> | null;
    limits: Record<string, number | boolean>;
  };
const paths = (res: ApiResponse) =>
  verdict(res)
    .problems.map((p) => p.path)
    .sort();

describe("POST /generation-v2/validate", () => {
  it("answers valid for a config /generation-v2/start would accept, without creating anything", async () => {
    const user = await h.user();
    const dataset = await readyDataset(h, user);
    const res = await validate(
      user,
      startBody(dataset, {
        conditions: { smoker: "no" },
        privacy_guard: { enabled: true, min_row_count: 3 },
        evaluation: { holdout_fraction: 0.2, target_column: "charges" },
      }),
    );
    expect(res.status).toBe(200);
    expect(verdict(res)).toMatchObject({
      valid: true,
      problems: [],
      limits: { active_jobs: 0, max_sample_size: 1_000_000 },
    });
    const [{ n }] =
      await h.su`select count(*)::int as n from public.generation_requests where owner_id = ${user.id}`;
    expect(n).toBe(0);
  });

  it("collects every problem with its path: zod's, the dataset's columns and the platform's caps together", async () => {
    const user = await h.user();
    const dataset = await readyDataset(h, user);
    const res = await validate(user, {
      dataset_id: dataset,
      sample_size: 2_000_000,
      model_config: { model_type: "ctgan", epochs: 5000, generator_dim: [0], pac: 10, batch_size: 500 },
      output_format: "csv",
      conditions: { nope: "x", age: 40 },
      privacy_guard: { enabled: "no", min_row_count: 1 },
      evaluation: { target_column: "zzz" },
      surprise: 1,
    });
    expect(res.status).toBe(200);
    expect(verdict(res).valid).toBe(false);
    expect(paths(res)).toEqual(
      [
        "sample_size", // platform cap (zod's bound is the column's 100 000 000)
        "model_config.epochs", // platform cap (max_epochs)
        "model_config.generator_dim.0",
        "conditions.nope",
        "conditions.age",
        "privacy_guard.enabled",
        "privacy_guard.min_row_count",
        "evaluation.target_column",
        "surprise",
      ].sort(),
    );
    for (const p of verdict(res).problems) expect(p.message.length, p.path).toBeGreaterThan(3);
  });

  it("reports another user's dataset exactly as an unknown one, a dataset not ready, and the active-jobs limit", async () => {
    const user = await h.user();
    const stranger = await h.user();
    const theirs = await validate(user, startBody(await readyDataset(h, stranger)));
    const unknown = await validate(user, startBody(randomId()));
    expect(verdict(theirs).problems).toEqual([
      { path: "dataset_id", message: "you have no dataset with this id" },
    ]);
    expect(verdict(unknown).problems).toEqual(verdict(theirs).problems);
    const uploaded = await createDataset(h.su, user.id, "uploaded");
    expect(verdict(await validate(user, startBody(uploaded))).problems).toEqual([
      { path: "dataset_id", message: "the dataset is uploaded, not ready" },
    ]);
    const dataset = await readyDataset(h, user);
    for (let i = 0; i < 5; i++) await createGeneration(h.su, user.id, dataset);
    const full = verdict(await validate(user, startBody(dataset)));
    expect(full.problems).toEqual([
      { path: "", message: "you have 5 active jobs; the platform allows 5 at once" },
    ]);
    expect(full.limits).toMatchObject({ active_jobs: 5, max_active_jobs_per_user: 5 });
  });

  it("agrees with the database on run options: validate_run_options() and zod give the same verdict", async () => {
    const cases: unknown[] = [
      {},
      { conditions: { a: "x", b: 1, c: true, d: null } },
      { conditions: { a: { nested: 1 } } },
      { conditions: { a: [1] } },
      { conditions: [] },
      { conditions: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`c${i}`, i])) },
      { conditions: { a: "x".repeat(1001) } },
      JSON.parse('{"conditions": {"__proto__": "x"}}'),
      { conditions: { ["x".repeat(257)]: 1 } },
      { privacy_guard: { enabled: false } },
      { privacy_guard: { enabled: true, min_row_count: 255 } },
      { privacy_guard: { min_row_count: 2 } },
      { privacy_guard: { enabled: true, min_row_count: 256 } },
      { privacy_guard: { enabled: true, min_row_count: 1 } },
      { privacy_guard: { enabled: true, min_row_count: 2.5 } },
      { privacy_guard: { enabled: 1 } },
      { privacy_guard: { enabled: true, k: 2 } },
      { evaluation: { holdout_fraction: 0 } },
      { evaluation: { holdout_fraction: 0.5, target_column: "y" } },
      { evaluation: { holdout_fraction: 0.51 } },
      { evaluation: { holdout_fraction: -0.1 } },
      { evaluation: { target_column: "" } },
      { evaluation: { target_column: 3 } },
      { evaluation: { folds: 3 } },
      { include_metadata: true },
      { include_metadata: "yes" },
      { other: 1 },
    ];
    const disagreements: string[] = [];
    for (const options of cases) {
      const [{ p }] = await h.su<
        { p: string[] }[]
      >`select public.validate_run_options(${h.su.json(options as never)}) as p`;
      const zodValid = jobRunOptionsSchema.safeParse(options).success;
      if (zodValid !== (p.length === 0))
        disagreements.push(`${JSON.stringify(options).slice(0, 80)}: zod ${zodValid}, sql ${p.join("; ")}`);
    }
    expect(disagreements).toEqual([]);
    // Every key of the zod schema is one the database knows.
    expect(Object.keys(jobRunOptionsSchema.shape).sort()).toEqual([
      "conditions",
      "evaluation",
      "include_metadata",
      "privacy_guard",
    ]);
    expect(z.toJSONSchema(jobRunOptionsSchema).additionalProperties).toBe(false);
  });

  it("authorisation matrix (another user's dataset is a problem of the body, as an unknown id is)", async () => {
    await runMatrix(h, {
      arrange: (hh, owner) => readyDataset(hh, owner),
      act: (_hh, caller, dataset) => validate(caller, startBody(dataset)),
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
      check: (res, who) => {
        expect(verdict(res).valid, who).toBe(who === "owner");
        if (who !== "owner") expect(paths(res), who).toEqual(["dataset_id"]);
      },
    });
  });
});

describe("POST /generation-v2/start", () => {
  it("starts with conditions, the privacy guard and evaluation settings stored in run_options for the runner", async () => {
    const user = await h.user();
    const dataset = await readyDataset(h, user);
    const res = await post(
      h,
      "/generation-v2/start",
      user,
      startBody(dataset, {
        model_config: { model_type: "tvae", epochs: 20, batch_size: 100 },
        conditions: { smoker: "yes", region: "north" },
        privacy_guard: { enabled: false },
        evaluation: { holdout_fraction: 0.25, target_column: "charges" },
      }),
    );
    expect(res.status, res.text).toBe(201);
    const { id, status } = res.body.data as { id: string; status: string };
    expect(status).toBe("queued");
    const [row] =
      await h.su`select model_type, model_config, run_options from public.generation_requests where id = ${id}`;
    expect(row).toEqual({
      model_type: "tvae",
      model_config: { epochs: 20, batch_size: 100 },
      run_options: {
        conditions: { smoker: "yes", region: "north" },
        privacy_guard: { enabled: false, min_row_count: 2 },
        evaluation: { holdout_fraction: 0.25, target_column: "charges" },
      },
    });
  });

  it("refuses unknown columns and out-of-range settings with 400 and their paths", async () => {
    const user = await h.user();
    const dataset = await readyDataset(h, user);
    const columns = await post(
      h,
      "/generation-v2/start",
      user,
      startBody(dataset, { conditions: { nope: "x" }, evaluation: { target_column: "zzz" } }),
    );
    expect(columns.status).toBe(400);
    expect((columns.body.error?.details.problems as { path: string }[]).map((p) => p.path).sort()).toEqual([
      "conditions.nope",
      "evaluation.target_column",
    ]);
    const ranges = await post(
      h,
      "/generation-v2/start",
      user,
      startBody(dataset, {
        privacy_guard: { enabled: true, min_row_count: 1 },
        evaluation: { holdout_fraction: 0.9 },
      }),
    );
    expect(ranges.status).toBe(400);
    expect((ranges.body.error?.details.problems as { path: string }[]).map((p) => p.path).sort()).toEqual([
      "evaluation.holdout_fraction",
      "privacy_guard.min_row_count",
    ]);
  });

  it("has the database refuse bad run options inserted without the API, each with its path", async () => {
    const user = await h.user();
    const dataset = await readyDataset(h, user);
    const error =
      await h.su`insert into public.generation_requests (owner_id, dataset_id, model_type, sample_size, run_options)
      values (${user.id}, ${dataset}, 'ctgan', 10, ${h.su.json({ privacy_guard: { enabled: "x" }, extra: 1 })})`.catch(
        (e: { message: string }) => e.message,
      );
    expect(error).toBe(
      "invalid run_options: extra: unknown key (allowed: conditions, privacy_guard, evaluation, include_metadata); privacy_guard.enabled: must be true or false",
    );
  });

  it("authorisation matrix", async () => {
    await runMatrix(h, {
      arrange: (hh, owner) => readyDataset(hh, owner),
      act: (hh, caller, dataset) => post(hh, "/generation-v2/start", caller, startBody(dataset)),
      expect: { anon: 401, owner: 201, other: 404, disabled: 403, admin: 404 },
    });
  });
});
