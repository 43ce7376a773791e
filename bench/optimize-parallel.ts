import { readFile } from "node:fs/promises";
import { mintAccessToken } from "../shared/platform/jwt-mint.ts";
import {
  completions,
  createOwnerWithDataset,
  startPlatform,
  waitFor,
  type Platform,
} from "../tests/runner/harness.ts";

/**
 * `npm run bench -- optimize-parallel [trials]`: one hyperparameter study (random search, TVAE with a few
 * epochs on credit_data, parallelism 3) through `synth api` and real `synth runner` processes, with 1 and
 * with 3 runners. Random search with one seed proposes the same points whatever the order trials finish
 * in, so both rounds do the same work. Wall time is the run's created_at to finished_at (the database's
 * clock); no trial ran twice: every trial succeeded at its first attempt and its completion was logged
 * once, by the runner complete_job stamped on it.
 */
const DATASET = new URL("../../shared/datasets/credit_data.csv", import.meta.url);

async function round(p: Platform, runnerCount: number, trials: number, csv: string) {
  const runners = await Promise.all(
    Array.from({ length: runnerCount }, () => p.startRunner({ RUNNER_KINDS: "optimization_trial" })),
  );
  const owner = await createOwnerWithDataset(p, csv);
  await p.su`update public.datasets set row_count = 4454 where id = ${owner.datasetId}`;
  const token = await mintAccessToken(p.jwtSecret, { sub: owner.userId });
  const res = await fetch(`${p.apiUrl}/api/optimization/start`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      dataset_id: owner.datasetId,
      model: "tvae",
      method: "random",
      space: { epochs: [2, 5], batch_size: [200, 500], embedding_dim: [32, 64] },
      budget: { trials },
      seed: 11,
      parallelism: 3,
    }),
  });
  const started = (await res.json()) as { data?: { id: string } };
  if (res.status !== 201 || !started.data) throw new Error(`start failed: ${res.status}`);
  const id = started.data.id;
  await waitFor(
    "the study to finish",
    async () => {
      const [r] = await p.su<
        { status: string }[]
      >`select status from public.optimization_runs where id = ${id}`;
      return ["succeeded", "failed", "canceled"].includes(r.status);
    },
    1_800_000,
    1000,
  );
  const [run] = await p.su<{ status: string; created_at: Date; finished_at: Date; best_score: number }[]>`
    select status, created_at, finished_at, best_score from public.optimization_runs where id = ${id}`;
  const rows = await p.su<
    { id: string; status: string; attempts: number; params: unknown; duration_ms: number; runner: string }[]
  >`select id, status, attempts, params, duration_ms, metrics ->> 'runner_id' as runner
      from public.optimization_trials where run_id = ${id} order by trial_number`;
  const done = completions(runners);
  for (const r of runners) r.kill("SIGTERM");
  await Promise.all(runners.map((r) => r.exited));
  p.runners.length = 0;
  const perRunner: Record<string, number> = {};
  for (const r of rows) perRunner[r.runner] = (perRunner[r.runner] ?? 0) + 1;
  return {
    runners: runnerCount,
    status: run.status,
    trials: rows.length,
    succeeded: rows.filter((r) => r.status === "succeeded").length,
    wall_seconds: Math.round((run.finished_at.getTime() - run.created_at.getTime()) / 100) / 10,
    trial_seconds_total: Math.round(rows.reduce((s, r) => s + (r.duration_ms ?? 0), 0) / 100) / 10,
    best_score: run.best_score,
    distinct_params: new Set(rows.map((r) => JSON.stringify(r.params))).size,
    max_attempts: Math.max(...rows.map((r) => r.attempts)),
    completions_per_trial_max: Math.max(...rows.map((r) => done.get(r.id)?.length ?? 0)),
    completion_runner_matches_stamp: rows.every((r) => done.get(r.id)?.[0] === r.runner),
    trials_per_runner: Object.values(perRunner).sort((a, b) => b - a),
  };
}

export async function run(args: string[]): Promise<unknown> {
  const trials = Number(args[0] ?? 12);
  const csv = await readFile(DATASET, "utf8");
  const p = await startPlatform("synth_bench_optimize");
  try {
    const one = await round(p, 1, trials, csv);
    const three = await round(p, 3, trials, csv);
    return {
      dataset: "credit_data",
      model: "tvae",
      trials,
      rounds: [one, three],
      speedup: Math.round((one.wall_seconds / three.wall_seconds) * 100) / 100,
    };
  } finally {
    await p.close();
  }
}
