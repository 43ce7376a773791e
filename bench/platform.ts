import autocannon from "autocannon";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { sleep } from "../tests/runner/harness.ts";
import { createScratchDatabase, type ScratchDatabase } from "../tests/setup/scratch-database.ts";
import { signedUpClient, startServe, type Served } from "../tests/serve/serve-harness.ts";

/**
 * `npm run bench -- platform [embedded|postgres|embedded-cold ...]`: `synth serve` as a user starts it, on
 * each database, and embedded without the warm job worker (RUNNER_WARM_WORKERS=0) for its before/after.
 * - cold start: spawn to the `ready` line on an empty data directory (bootstrap and every migration), and
 *   warm: the same directory again;
 * - memory at idle: the server's resident set 3 s after ready, with one runner inside;
 * - a Gaussian copula job on credit_data through supabase-js: register to the dataset ready (polled every
 *   50 ms), generation/start to the first Realtime progress event and to `succeeded` (the Realtime event's
 *   arrival, on this side of the socket);
 * - /rest/v1 selects per second: autocannon, 4 connections, 10 s, a user's token, a page of 10 rows.
 */
const CREDIT = new URL("../../shared/datasets/credit_data.csv", import.meta.url);

async function residentMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

async function timedStart(
  dataDir: string,
  databaseUrl: string | undefined,
  env: Record<string, string>,
): Promise<{ served: Served; ms: number }> {
  const t0 = performance.now();
  const served = await startServe({ dataDir, databaseUrl, env });
  return { served, ms: Math.round(performance.now() - t0) };
}

async function job(served: Served) {
  const a = await signedUpClient(served);
  const path = `${a.id}/credit_data.csv`;
  const bytes = await readFile(CREDIT);
  const up = await a.c.storage.from("datasets").upload(path, new Blob([bytes]), { contentType: "text/csv" });
  if (up.error) throw up.error;
  const reg = await a.c.functions.invoke("api/upload/register", { body: { path, name: "credit" } });
  if (reg.error) throw reg.error;
  let dataset = (reg.data as { data: { id: string; status: string } }).data;
  // Validation and profiling run beside the request (in the runner for large files): a generation
  // can start only once the dataset is ready, as the README's client waits for it.
  const r0 = performance.now();
  while (dataset.status !== "ready") {
    if (dataset.status === "invalid" || dataset.status === "failed")
      throw new Error(`dataset ${dataset.status}`);
    await sleep(50);
    const res = await a.c.functions.invoke(`api/upload/datasets/${dataset.id}`, { method: "GET" });
    if (res.error) throw res.error;
    dataset = (res.data as { data: typeof dataset }).data;
  }
  const registerToReadyMs = Math.round(performance.now() - r0);
  const datasetId = dataset.id;

  // Subscribed to every update of A's requests before the start, so no event can come first.
  const events: { at: number; status: string; progress: Record<string, unknown> | null }[] = [];
  await new Promise<void>((resolve, reject) => {
    a.c
      .channel("bench")
      .on(
        "postgres_changes",
        { event: "UPDATE", schema: "public", table: "generation_requests", filter: `owner_id=eq.${a.id}` },
        (p) => {
          const row = p.new as { status: string; progress: Record<string, unknown> | null };
          events.push({ at: performance.now(), status: row.status, progress: row.progress });
        },
      )
      .subscribe((state, err) => {
        if (state === "SUBSCRIBED") resolve();
        else if (state !== "CLOSED") reject(err ?? new Error(state));
      });
  });
  // /health polled all through the job: it must answer within 200 ms while a model trains.
  const healthMs: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const h0 = performance.now();
      const res = await fetch(`${served.url}/health`);
      await res.arrayBuffer();
      healthMs.push(performance.now() - h0);
      await sleep(50);
    }
  })();
  const t0 = performance.now();
  const start = await a.c.functions.invoke("api/generation/start", {
    body: {
      dataset_id: datasetId,
      sample_size: 1000,
      model_config: { model_type: "gaussian_copula" },
      output_format: "csv",
      seed: 1,
    },
  });
  if (start.error) throw start.error;
  const deadline = Date.now() + 300_000;
  while (!events.some((e) => e.status === "succeeded" || e.status === "failed")) {
    if (Date.now() > deadline) throw new Error("the job did not finish in 5 minutes");
    await sleep(20);
  }
  polling = false;
  await poller;
  healthMs.sort((x, y) => x - y);
  const firstProgress = events.find(
    (e) => e.status === "running" && e.progress !== null && Object.keys(e.progress).length > 0,
  );
  const done = events.find((e) => e.status === "succeeded");
  return {
    rows_in: bytes.toString("utf8").trimEnd().split("\n").length - 1,
    register_to_dataset_ready_ms: registerToReadyMs,
    start_to_first_progress_event_ms: firstProgress ? Math.round(firstProgress.at - t0) : null,
    start_to_succeeded_event_ms: done ? Math.round(done.at - t0) : null,
    events: events.length,
    health_during_job_ms: {
      polls: healthMs.length,
      p50: Math.round(healthMs[Math.floor(healthMs.length / 2)] ?? NaN),
      max: Math.round(healthMs.at(-1) ?? NaN),
    },
    token: (await a.c.auth.getSession()).data.session!.access_token,
  };
}

async function restSelects(served: Served, token: string) {
  const result = await autocannon({
    url: `${served.url}/rest/v1/generation_requests?select=id,status,created_at&order=created_at.desc&limit=10`,
    connections: 4,
    duration: 10,
    headers: { apikey: served.anonKey, authorization: `Bearer ${token}` },
  });
  return {
    requests_per_second: result.requests.average,
    latency_ms: { p50: result.latency.p50, p99: result.latency.p99 },
    non_2xx: result.non2xx,
  };
}

/** embedded and postgres as served by default; embedded-cold: without a warm job worker (the A/B of it). */
const SETUPS = {
  embedded: { database: "embedded", env: {} },
  postgres: { database: "postgres", env: {} },
  "embedded-cold": { database: "embedded", env: { RUNNER_WARM_WORKERS: "0" } },
} as const;
type Setup = keyof typeof SETUPS;

async function one(setup: Setup) {
  const { database, env } = SETUPS[setup];
  const dataDir = await mkdtemp(join(tmpdir(), "synth-bench-platform-"));
  let scratch: ScratchDatabase | null = null;
  try {
    if (database === "postgres") scratch = await createScratchDatabase("synth_bench_platform");
    const cold = await timedStart(dataDir, scratch?.url, env);
    const idle = await (async () => {
      await sleep(3000);
      return residentMb(cold.served.proc.child.pid!);
    })();
    const gc = await job(cold.served);
    const rest = await restSelects(cold.served, gc.token);
    await cold.served.stop();
    const warm = await timedStart(dataDir, scratch?.url, env);
    await warm.served.stop();
    const { token: _token, ...jobFigures } = gc;
    return {
      setup,
      database,
      env,
      cold_start_to_ready_ms: cold.ms,
      warm_start_to_ready_ms: warm.ms,
      idle_rss_mb: idle,
      gaussian_copula_credit_data: jobFigures,
      rest_select: rest,
    };
  } finally {
    await scratch?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function run(args: string[]) {
  const which = args.length > 0 ? args : ["embedded-cold", "embedded", "postgres"];
  const out = [];
  for (const d of which) {
    if (!(d in SETUPS)) throw new Error(`unknown setup ${d} (${Object.keys(SETUPS).join(", ")})`);
    out.push(await one(d as Setup));
  }
  return out;
}
