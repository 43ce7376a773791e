import { readFile } from "node:fs/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mintAccessToken } from "../../shared/platform/jwt-mint.ts";
import {
  completions,
  createOwnerWithDataset,
  startPlatform,
  waitFor,
  type Owner,
  type Platform,
} from "./harness.ts";

/**
 * One study, several `synth runner` processes: the trials are claimed through the queue by whichever
 * runner is free, the runner that finishes one proposes the next, and no trial runs twice.
 */
let p: Platform;
let owner: Owner;
let token: string;
beforeAll(async () => {
  p = await startPlatform("synth_runner_optimize");
  const csv = await readFile(new URL("../../../shared/datasets/penguins.csv", import.meta.url), "utf8");
  owner = await createOwnerWithDataset(p, csv);
  await p.su`update public.datasets set row_count = 344 where id = ${owner.datasetId}`;
  token = await mintAccessToken(p.jwtSecret, { sub: owner.userId });
}, 180_000);
afterAll(async () => p?.close(), 60_000);

async function api(method: string, path: string, json?: unknown) {
  const res = await fetch(`${p.apiUrl}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(json ? { "content-type": "application/json" } : {}) },
    ...(json ? { body: JSON.stringify(json) } : {}),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; error?: unknown };
  return { status: res.status, data: body.data as Record<string, unknown>, body };
}

interface TrialRow {
  id: string;
  trial_number: number;
  status: string;
  attempts: number;
  params: Record<string, unknown>;
  metrics: Record<string, unknown> | null;
}
const trialsOf = (runId: string) =>
  p.su<TrialRow[]>`select id, trial_number, status, attempts, params, metrics from public.optimization_trials
                   where run_id = ${runId} order by trial_number`;
const runStatus = async (runId: string) =>
  (await p.su<{ status: string }[]>`select status from public.optimization_runs where id = ${runId}`)[0]
    .status;

const KINDS = { RUNNER_KINDS: "optimization_trial" };

// A test that fails midway must not leave its runners claiming the next test's trials.
type RunnerProc = Awaited<ReturnType<typeof p.startRunner>>;
let live: RunnerProc[] = [];
const tracked = (runners: RunnerProc[]) => {
  live.push(...runners);
  return runners;
};
afterEach(async () => {
  for (const r of live) r.kill("SIGTERM");
  await Promise.all(live.map((r) => r.exited));
  live = [];
});

describe("a study over several runners", () => {
  it("3 runners complete 6 TVAE trials of one study: distinct proposals, none run twice, best one call from a generation", async () => {
    const runners = tracked(
      await Promise.all([p.startRunner(KINDS), p.startRunner(KINDS), p.startRunner(KINDS)]),
    );
    const started = await api("POST", "/optimization/start", {
      dataset_id: owner.datasetId,
      model: "tvae",
      method: "bayesian",
      space: { epochs: [1, 3], batch_size: [20, 100], embedding_dim: [16, 32] },
      budget: { trials: 6 },
      seed: 3,
      parallelism: 3,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id = String(started.data.id);
    expect(started.data.trials_queued).toBe(3);
    await waitFor(
      "the study to finish",
      async () => ["succeeded", "failed", "canceled"].includes(await runStatus(id)),
      240_000,
    );
    expect(await runStatus(id)).toBe("succeeded");

    const trials = await trialsOf(id);
    expect(trials.map((t) => t.trial_number)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(trials.every((t) => t.status === "succeeded" && t.attempts === 1)).toBe(true);
    expect(new Set(trials.map((t) => JSON.stringify(t.params))).size).toBe(6);
    // Each trial's completion was recorded once, by the runner complete_job stamped on it.
    const done = completions(runners);
    for (const t of trials) {
      expect(done.get(t.id)).toHaveLength(1);
      expect(done.get(t.id)?.[0]).toBe(t.metrics?.runner_id);
    }
    expect(new Set(trials.map((t) => t.metrics?.runner_id)).size).toBeGreaterThan(1);
    // Pruning: the space's smallest fit is 1 epoch, so every trial's curve (in its row) holds epoch 1.
    for (const t of trials) {
      const curve = t.metrics?.intermediate as { epoch: number; quality: number }[] | undefined;
      expect(curve?.[0]?.epoch, JSON.stringify(t.metrics)).toBe(1);
      expect(curve?.[0]?.quality).toBeGreaterThan(0);
    }

    const listed = await api("GET", `/optimization/trials/${id}`);
    const items =
      (listed.data.trials as { score: number | null; pruned: boolean; fit_s: number }[] | undefined) ?? [];
    expect(items).toHaveLength(6);
    // A trial is pruned only once 5 have completed, so the first five always score.
    expect(items.slice(0, 5).every((t) => !t.pruned)).toBe(true);
    expect(items.every((t) => (t.pruned ? t.score === null : typeof t.score === "number"))).toBe(true);
    expect(items.every((t) => t.fit_s > 0)).toBe(true);
    const best = await api("GET", `/optimization/best/${id}`);
    expect(best.data.final).toBe(true);
    const body = best.data.generation_request as Record<string, unknown>;
    expect(body).toMatchObject({ dataset_id: owner.datasetId, model_config: { model_type: "tvae" } });
    const generation = await api("POST", "/generation/start", { ...body, sample_size: 50 });
    expect(generation.status, JSON.stringify(generation.body)).toBe(201);
    for (const r of runners) r.kill("SIGTERM");
    await Promise.all(runners.map((r) => r.exited));
  }, 300_000);

  it("stop mid-study: queued trials canceled, the running ones aborted by their runners, the run canceled", async () => {
    const runners = tracked(await Promise.all([p.startRunner(KINDS), p.startRunner(KINDS)]));
    const started = await api("POST", "/optimization/start", {
      dataset_id: owner.datasetId,
      model: "tvae",
      method: "random",
      space: { epochs: [400, 500], batch_size: [20, 40] },
      budget: { trials: 8 },
      seed: 5,
      parallelism: 3,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id = String(started.data.id);
    await waitFor(
      "two trials training",
      async () => {
        const rows = await p.su<{ n: number }[]>`
        select count(*)::int as n from public.optimization_trials
         where run_id = ${id} and status = 'running' and coalesce((progress ->> 'epoch')::int, 0) >= 1`;
        return rows[0].n >= 2;
      },
      120_000,
    );
    const stop = await api("PUT", `/optimization/stop/${id}`);
    expect(stop.status, JSON.stringify(stop.body)).toBe(200);
    expect(stop.data).toMatchObject({ cancel_requested: true, trials_running: 2 });
    await waitFor("the run canceled", async () => (await runStatus(id)) === "canceled", 60_000);
    const trials = await trialsOf(id);
    expect(trials.map((t) => t.status)).toEqual(["canceled", "canceled", "canceled"]);
    const canceledByRunner = runners.flatMap((r) =>
      r.logs().filter((l) => l.message === "job canceled"),
    ).length;
    expect(canceledByRunner).toBe(2);
    expect((await api("PUT", `/optimization/stop/${id}`)).status).toBe(409);
    for (const r of runners) r.kill("SIGTERM");
    await Promise.all(runners.map((r) => r.exited));
  }, 240_000);
});
