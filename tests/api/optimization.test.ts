import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asServiceRole } from "../../shared/platform/db.ts";
import { proposeTrials } from "../../shared/platform/optimization-study.ts";
import { post, readyDataset } from "./generation-fixtures.ts";
import { createHarness, type ApiResponse, type ApiUser, type Harness } from "./harness.ts";
import { runMatrix } from "./matrix.ts";

let h: Harness;
beforeAll(async () => {
  // Its own database: the trials claimed here must be this file's only.
  h = await createHarness({ ownDatabase: true });
});
afterAll(async () => h.close());

const problemsOf = (res: ApiResponse) =>
  (res.body.error?.details.problems as { path: string; message: string }[] | undefined) ?? [];

const body = (datasetId: string, extra: Record<string, unknown> = {}) => ({
  dataset_id: datasetId,
  model: "tvae",
  method: "random",
  space: { epochs: [1, 3], batch_size: [50, 500], learning_rate: [1e-4, 1e-2] },
  budget: { trials: 5 },
  seed: 7,
  parallelism: 2,
  ...extra,
});

interface Started {
  id: string;
  status: string;
  trials_queued: number;
}

async function start(user: ApiUser, extra: Record<string, unknown> = {}): Promise<Started> {
  const dataset = await readyDataset(h, user);
  const res = await post(h, "/optimization/start", user, body(dataset, extra));
  expect(res.status, res.text).toBe(201);
  return res.body.data as Started;
}

const put = (path: string, user: ApiUser | null) =>
  h.call(path, { method: "PUT", token: user?.token ?? null });
const get = (path: string, user: ApiUser | null) => h.call(path, { token: user?.token ?? null });

/** What a runner does with a trial: claim, then complete with measurements, as the service role. */
async function runOneTrial(worker: string, score: number, extra: Record<string, unknown> = {}) {
  const rows = await h.su<{ job_id: string | null }[]>`
    select job_id from public.claim_job(${worker}, array['optimization_trial'], 60)`;
  // One claim, one trial.
  expect(rows.length, "a trial to claim").toBe(1);
  const claimed = rows[0];
  const results = {
    score,
    duration_ms: 1234,
    metrics: {
      value: -score,
      feasible: true,
      pruned: false,
      fit_s: 1 + score,
      privacy: { dcr_baseline_protection: score },
      intermediate: [{ epoch: 1, quality: score }],
      ...extra,
    },
  };
  const [done] = await h.su<{ ok: boolean }[]>`
    select public.complete_job('optimization_trial', ${claimed.job_id}::uuid, ${worker}, ${JSON.stringify(results)}::text::jsonb) as ok`;
  expect(done.ok).toBe(true);
  return claimed.job_id as string;
}

/** Stops every other study, so the claims of a test take its own study's trials. */
async function isolate(runId: string): Promise<void> {
  await h.su`update public.optimization_runs set cancel_requested = true
              where id <> ${runId} and status in ('pending_approval', 'queued', 'running')`;
}

const propose = (runId: string) =>
  asServiceRole(h.deps.db, "test: a runner proposes", (tx) => proposeTrials(tx, runId));

describe("POST /optimization/start", () => {
  it("stores the space in the database's form, the budget, objective and parallelism, and queues the first distinct trials", async () => {
    const user = await h.user();
    const started = await start(user, { privacy_floor: 0.2, budget: { trials: 5, time: "30m" } });
    expect(started).toMatchObject({ status: "queued", trials_queued: 2 });
    const [run] =
      await h.su`select search_space, budget, objective, parallelism, method, model_type, seed, metric
                               from public.optimization_runs where id = ${started.id}`;
    expect(run).toMatchObject({
      search_space: {
        epochs: { min: 1, max: 3, log: false },
        batch_size: { min: 50, max: 500, log: false },
        learning_rate: { min: 1e-4, max: 1e-2, log: true },
      },
      budget: { max_trials: 5, max_wall_time_seconds: 1800 },
      objective: { kind: "quality", privacy_floor: 0.2 },
      parallelism: 2,
      method: "random",
      model_type: "tvae",
      seed: "7",
      metric: "quality_overall",
    });
    const trials = await h.su<
      { trial_number: number; params: Record<string, number>; status: string; proposal: { by: string } }[]
    >`
      select trial_number, params, status, proposal from public.optimization_trials where run_id = ${started.id} order by trial_number`;
    expect(trials.map((t) => t.trial_number)).toEqual([0, 1]);
    expect(trials.every((t) => t.status === "queued" && t.proposal.by === "random")).toBe(true);
    expect(JSON.stringify(trials[0].params)).not.toBe(JSON.stringify(trials[1].params));
    for (const t of trials) {
      expect(Number.isInteger(t.params.epochs) && t.params.epochs >= 1 && t.params.epochs <= 3).toBe(true);
      expect(t.params.learning_rate).toBeGreaterThanOrEqual(1e-4);
    }
  });

  it("takes the rich form and the model's default space; CTGAN's learning_rate is one dimension", async () => {
    const user = await h.user();
    const rich = await start(user, {
      model: "ctgan",
      method: "bayesian",
      space: {
        epochs: { type: "int", low: 1, high: 4 },
        learning_rate: { type: "float", low: 1e-4, high: 1e-3, log: true },
        embedding_dim: { type: "categorical", values: [32, 64] },
      },
    });
    const [run] = await h.su`select search_space from public.optimization_runs where id = ${rich.id}`;
    expect(run.search_space).toEqual({
      epochs: { min: 1, max: 4, log: false },
      learning_rate: { min: 1e-4, max: 1e-3, log: true },
      embedding_dim: [32, 64],
    });
    const [trial] = await h.su<{ params: Record<string, unknown> }[]>`
      select params from public.optimization_trials where run_id = ${rich.id} order by trial_number limit 1`;
    expect(Object.keys(trial.params).sort()).toEqual(["embedding_dim", "epochs", "learning_rate"]);
    const dflt = await start(user, { model: "gaussian_copula", space: undefined, method: "grid" });
    expect(dflt.trials_queued).toBe(2);
  });

  it("refuses what cannot be searched, each problem with its path", async () => {
    const user = await h.user();
    const dataset = await readyDataset(h, user);
    const cases: [Record<string, unknown>, string][] = [
      [{ space: { dropout: [0, 1] } }, "space.dropout"],
      [{ model: "gaussian_copula", space: { learning_rate: [1e-4, 1e-2] } }, "space.learning_rate"],
      [{ space: { epochs: [5, 5] } }, "space"],
      [
        {
          method: "grid",
          space: {
            epochs: [1, 100],
            batch_size: [50, 500],
            learning_rate: [1e-4, 1e-2],
            l2scale: [0.0, 0.1],
            loss_factor: [1.0, 3.0],
          },
        },
        "space",
      ],
      [{ objective: "ml" }, "target"],
      [{ objective: "ml", target: "nope" }, "target"],
      [{ budget: { trials: 0 } }, "budget.trials"],
      [{ budget: { time: "soon" } }, "budget.time"],
    ];
    for (const [extra, path] of cases) {
      const res = await post(h, "/optimization/start", user, body(dataset, extra));
      expect(res.status, `${JSON.stringify(extra)}: ${res.text}`).toBe(400);
      expect(
        problemsOf(res).map((p) => p.path),
        JSON.stringify(extra),
      ).toContain(path);
    }
    const grid = await post(h, "/optimization/start", user, body(dataset, cases[3][0]));
    expect(grid.body.error?.message).toMatch(/the grid has \d+ points/);
    const [{ n }] = await h.su<{ n: number }[]>`
      select count(*)::int as n from public.optimization_runs where owner_id = ${user.id}`;
    expect(n).toBe(0);
  });

  it("authorisation: anon 401, another user's dataset 404, disabled 403, admin 404 (a study runs on its owner's data)", async () => {
    await runMatrix(h, {
      arrange: (hh, owner) => readyDataset(hh, owner),
      act: (hh, caller, dataset) => post(hh, "/optimization/start", caller, body(dataset)),
      expect: { anon: 401, owner: 201, other: 404, disabled: 403, admin: 404 },
    });
  });
});

describe("trials, proposals and the best configuration", () => {
  it("lists trials in order; proposals keep the parallelism within the budget; the run finishes with best and Pareto front; best is one POST from a generation", async () => {
    const user = await h.user();
    const started = await start(user);
    await isolate(started.id);
    const scores = [0.5, 0.8, 0.6, 0.7, 0.4];
    const ran = new Map<string, { score: number; worker: string }>();
    for (const [i, score] of scores.entries()) {
      const worker = `w${i % 2}`;
      ran.set(await runOneTrial(worker, score), { score, worker });
      const [run] = await h.su`select status from public.optimization_runs where id = ${started.id}`;
      expect(run.status).toBe("running");
      await propose(started.id);
      const pending = await h.su`select id from public.optimization_trials
                                  where run_id = ${started.id} and status in ('queued', 'running')`;
      expect(pending.length).toBe(Math.min(2, scores.length - i - 1));
    }
    expect(ran.size).toBe(5);
    const [run] = await h.su`select status, trials_completed, best_score, pareto from public.optimization_runs
                              where id = ${started.id}`;
    expect(run).toMatchObject({ status: "succeeded", trials_completed: 5, best_score: 0.8 });

    const trials = await get(`/optimization/trials/${started.id}`, user);
    expect(trials.status, trials.text).toBe(200);
    const data = trials.body.data as {
      run: { status: string; trials_completed: number };
      trials: {
        id: string;
        trial_number: number;
        status: string;
        score: number;
        feasible: boolean;
        pruned: boolean;
        fit_s: number;
        intermediate: { epoch: number; quality: number }[];
        epochs_trained: number | null;
        runner_id: string;
        proposed_by: string;
        privacy: unknown;
      }[];
    };
    expect(data.run).toMatchObject({ status: "succeeded", trials_completed: 5 });
    expect(data.trials.map((t) => t.trial_number)).toEqual([0, 1, 2, 3, 4]);
    for (const t of data.trials) {
      const { score, worker } = ran.get(t.id)!;
      expect(t).toMatchObject({
        status: "succeeded",
        score,
        feasible: true,
        pruned: false,
        runner_id: worker,
        proposed_by: "random",
      });
      expect(t.fit_s).toBeCloseTo(1 + score);
      expect(t.intermediate).toEqual([{ epoch: 1, quality: score }]);
      expect(t.epochs_trained).toBeNull();
    }
    const numberOf = (score: number) => data.trials.find((t) => t.score === score)!.trial_number;

    const best = await get(`/optimization/best/${started.id}`, user);
    expect(best.status, best.text).toBe(200);
    const b = best.body.data as {
      final: boolean;
      best: {
        trial_number: number;
        score: number;
        params: Record<string, number>;
        model_config: Record<string, unknown>;
      };
      pareto: { trial_number: number }[];
      generation_request: Record<string, unknown>;
    };
    expect(b.final).toBe(true);
    expect(b.best).toMatchObject({ trial_number: numberOf(0.8), score: 0.8 });
    expect(b.best.model_config.learning_rate).toBe(b.best.params.learning_rate);
    // Quality and privacy rise together here and fit time with them: the best and the fastest are on the front.
    expect(b.pareto.map((p) => p.trial_number)).toContain(numberOf(0.8));
    expect(b.pareto.map((p) => p.trial_number)).toContain(numberOf(0.4));
    const generation = await post(h, "/generation/start", user, b.generation_request);
    expect(generation.status, generation.text).toBe(201);
    const [g] = await h.su`select model_type, model_config, seed from public.generation_requests
                            where id = ${(generation.body.data as { id: string }).id}`;
    expect(g).toMatchObject({ model_type: "tvae", seed: "7", model_config: b.best.model_config });
  });

  it("parallel proposals (constant liar) differ from the pending points", async () => {
    const user = await h.user();
    const started = await start(user, { method: "bayesian", parallelism: 3, budget: { trials: 14 } });
    await isolate(started.id);
    for (let i = 0; i < 11; i++) {
      await runOneTrial("w", 0.3 + ((i * 37) % 11) / 20);
      await propose(started.id);
    }
    const rows = await h.su<{ params: unknown; proposal: { by: string } }[]>`
      select params, proposal from public.optimization_trials where run_id = ${started.id} order by trial_number`;
    expect(rows.length).toBe(14);
    expect(new Set(rows.map((r) => JSON.stringify(r.params))).size).toBe(14);
    expect(rows.slice(10).some((r) => !["random", "lhs"].includes(r.proposal.by))).toBe(true);
  });

  it("trials and best: anon 401, another user 404, disabled 403, owner and admin 200", async () => {
    for (const path of ["trials", "best"]) {
      await runMatrix(h, {
        arrange: async (_hh, owner) => (await start(owner)).id,
        act: (_hh, caller, id) => get(`/optimization/${path}/${id}`, caller),
        expect: { anon: 401, owner: 200, other: 404, disabled: 403, admin: 200 },
      });
    }
  });
});

describe("PUT /optimization/stop/{id}", () => {
  it("cancels queued trials and the run at once when none is running; a running trial is asked to stop and the proposer cancels the run after it", async () => {
    const user = await h.user();
    const idle = await start(user);
    const res = await put(`/optimization/stop/${idle.id}`, user);
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toMatchObject({ status: "canceled", cancel_requested: true, trials_running: 0 });
    const statuses = await h.su`select status from public.optimization_trials where run_id = ${idle.id}`;
    expect(statuses.map((s) => s.status)).toEqual(["canceled", "canceled"]);
    expect((await put(`/optimization/stop/${idle.id}`, user)).status).toBe(409);

    const busy = await start(user);
    await isolate(busy.id);
    const [claimed] = await h.su<{ job_id: string }[]>`
      select job_id from public.claim_job('w-stop', array['optimization_trial'], 60)`;
    const stopped = await put(`/optimization/stop/${busy.id}`, user);
    expect(stopped.body.data).toMatchObject({ status: "running", trials_running: 1 });
    const [renewed] = await h.su<{ cancel_requested: boolean }[]>`
      select cancel_requested from public.renew_lease('optimization_trial', ${claimed.job_id}::uuid, 'w-stop', 60)`;
    expect(renewed.cancel_requested).toBe(true);
    const [ack] = await h.su<{ ok: boolean }[]>`
      select public.cancel_job('optimization_trial', ${claimed.job_id}::uuid, 'w-stop') as ok`;
    expect(ack.ok).toBe(true);
    expect(await propose(busy.id)).toMatchObject({ status: "canceled", queued: 0 });
    const [run] = await h.su`select status from public.optimization_runs where id = ${busy.id}`;
    expect(run.status).toBe("canceled");
    // Nothing of a stopped study is claimable.
    const [none] = await h.su<{ job_id: string | null }[]>`
      select job_id from public.claim_job('w-after', array['optimization_trial'], 60)`;
    expect(none).toBeUndefined();
  });

  it("authorisation: anon 401, another user 404, disabled 403, owner and admin 200", async () => {
    await runMatrix(h, {
      arrange: async (_hh, owner) => (await start(owner)).id,
      act: (_hh, caller, id) => put(`/optimization/stop/${id}`, caller),
      expect: { anon: 401, owner: 200, other: 404, disabled: 403, admin: 200 },
      check: async (_res, _who, id) => {
        const [run] =
          await h.su`select status, cancel_requested from public.optimization_runs where id = ${id}`;
        expect(run).toMatchObject({ status: "canceled", cancel_requested: true });
      },
    });
  });
});
