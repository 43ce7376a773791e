import {
  createOwnerWithDataset,
  enqueueGeneration,
  startPlatform,
  waitForStatuses,
  type Platform,
} from "../tests/runner/harness.ts";

/**
 * `npm run bench -- runner [jobs]`: tiny gaussian_copula jobs (60 rows in, 20 out) through real `synth runner`
 * processes and the local Storage, with 1 and with 3 runners. Claim-to-start is the executor's start (the
 * runner's "job started" log line) minus the claim (started_at, set by the claim's status change), both
 * read off the same machine's clock; jobs per minute is over the first claim to the last completion.
 */
const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function round(p: Platform, runnerCount: number, jobs: number) {
  const runners = await Promise.all(Array.from({ length: runnerCount }, () => p.startRunner()));
  const owners = await Promise.all([0, 1, 2].map(() => createOwnerWithDataset(p)));
  const ids: string[] = [];
  for (let i = 0; i < jobs; i++) ids.push(await enqueueGeneration(p, owners[i % owners.length]));
  await waitForStatuses(p, ids, ["succeeded", "failed"], 600_000);
  const rows = await p.su<{ id: string; status: string; started_at: Date; finished_at: Date }[]>`
    select id, status, started_at, finished_at from public.generation_requests where id = any(${ids}::uuid[])`;
  const started = new Map<string, number>();
  for (const r of runners) {
    for (const l of r.logs()) {
      if (l.message === "job started" && typeof l.job_id === "string" && !started.has(l.job_id)) {
        started.set(l.job_id, Date.parse(String(l.timestamp)));
      }
    }
  }
  const overhead = rows
    .map((r) => (started.get(r.id) ?? NaN) - r.started_at.getTime())
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const first = Math.min(...rows.map((r) => r.started_at.getTime()));
  const last = Math.max(...rows.map((r) => r.finished_at.getTime()));
  for (const r of runners) r.kill("SIGTERM");
  await Promise.all(runners.map((r) => r.exited));
  p.runners.length = 0;
  return {
    runners: runnerCount,
    jobs,
    succeeded: rows.filter((r) => r.status === "succeeded").length,
    claim_to_start_ms: { p50: quantile(overhead, 0.5), p95: quantile(overhead, 0.95) },
    jobs_per_minute: Math.round((jobs / ((last - first) / 60_000)) * 10) / 10,
  };
}

export async function run(args: string[]): Promise<unknown> {
  const jobs = Number(args[0] ?? 30);
  const p = await startPlatform("synth_bench_runner");
  try {
    return { rounds: [await round(p, 1, jobs), await round(p, 3, jobs)] };
  } finally {
    await p.close();
  }
}
