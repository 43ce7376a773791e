/**
 * `npm run bench -- api [--seconds 20] [--connections 100] [--pool 10]`: the platform API under Node
 * (`synth api`, a child process, loopback only) loaded by autocannon: requests per second and latency
 * percentiles of `GET /generation/status/{id}` and `GET /upload/datasets`, each with `connections`
 * concurrent clients for `seconds`; then the cost of the RLS transaction (set role + claims + is_active,
 * in a transaction) against the same query run plainly, measured sequentially on one connection.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { sql } from "kysely";
import postgres from "postgres";
import { migrate } from "../local/db/migrate.ts";
import { asUser, createDb } from "../shared/platform/db.ts";
import { mintAccessToken } from "../shared/platform/jwt-mint.ts";
import { createScratchDatabase } from "../tests/setup/scratch-database.ts";

const SECRET = "bench-secret-bench-secret-bench-secret-0123";

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

async function startApi(
  databaseUrl: string,
  dataDir: string,
  port: number,
  pool: number,
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["bin/synth.mjs", "api", "--port", String(port), "--database-url", databaseUrl, "--data-dir", dataDir],
    {
      env: {
        ...process.env,
        SUPABASE_JWT_SECRET: SECRET,
        SYNTH_LOG_LEVEL: "warn",
        SYNTH_DB_MAX_CONNECTIONS: String(pool),
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (/^ready$/m.test(out)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`synth api exited with ${code}`)));
  });
  return child;
}

async function load(url: string, token: string, connections: number, seconds: number) {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    requests_per_second: result.requests.average,
    latency_ms: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    requests: result.requests.total,
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function rlsOverhead(databaseUrl: string, userId: string, requestId: string, iterations: number) {
  const db = createDb({ url: databaseUrl, maxConnections: 1 });
  const claims = { sub: userId, role: "authenticated" as const };
  const time = async (fn: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t = performance.now();
      await fn();
      samples.push((performance.now() - t) * 1000);
    }
    samples.sort((a, b) => a - b);
    return { p50_us: Math.round(percentile(samples, 50)), p95_us: Math.round(percentile(samples, 95)) };
  };
  const query = (q: typeof db | Parameters<Parameters<typeof asUser>[2]>[0]) =>
    q.selectFrom("generation_requests").selectAll().where("id", "=", requestId).executeTakeFirst();
  try {
    // Warm both paths (connection, plans) before timing.
    for (let i = 0; i < 200; i++) {
      await query(db);
      await asUser(db, claims, (tx) => query(tx));
    }
    const plain = await time(() => query(db));
    const rls = await time(() =>
      db.transaction().execute(async (tx) => {
        await sql`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true), public.is_active()`.execute(
          tx,
        );
        return query(tx);
      }),
    );
    return { iterations, plain, rls_transaction: rls, added_p50_us: rls.p50_us - plain.p50_us };
  } finally {
    await db.destroy();
  }
}

export async function run(args: string[]): Promise<unknown> {
  const seconds = flag(args, "seconds", 20);
  const connections = flag(args, "connections", 100);
  const pool = flag(args, "pool", 10);
  const scratch = await createScratchDatabase("synth_bench_api");
  const dataDir = await mkdtemp(join(tmpdir(), "synth-bench-api-"));
  const su = postgres(scratch.url, { max: 1, onnotice: () => {} });
  let child: ChildProcess | null = null;
  try {
    await migrate(scratch.url);
    const userId = crypto.randomUUID();
    const email = `${userId.slice(0, 8)}@example.test`;
    await su`insert into auth.users (id, aud, role, email, raw_app_meta_data) values (${userId}, 'authenticated', 'authenticated', ${email}, '{"provider":"email"}')`;
    // A user with 50 ready datasets and one generation request with progress, as a dashboard would poll.
    const datasets = await su<{ id: string }[]>`
      insert into public.datasets (owner_id, name, storage_path, format, status, row_count, column_count)
      select ${userId}, 'dataset ' || i, ${userId} || '/d' || i || '.csv', 'csv', 'ready', 1000, 12
        from generate_series(1, 50) i returning id`;
    const [job] = await su<{ id: string }[]>`
      insert into public.generation_requests (owner_id, dataset_id, model_type, sample_size)
      values (${userId}, ${datasets[0].id}, 'ctgan', 1000) returning id`;
    const token = await mintAccessToken(SECRET, { sub: userId, email }, { expiresIn: 7200 });
    const port = 18000 + Math.floor(Math.random() * 2000);
    child = await startApi(scratch.url, dataDir, port, pool);
    const base = `http://127.0.0.1:${port}/api`;
    const status = await load(`${base}/generation/status/${job.id}`, token, connections, seconds);
    const list = await load(`${base}/upload/datasets?page_size=20`, token, connections, seconds);
    child.kill("SIGTERM");
    child = null;
    const overhead = await rlsOverhead(scratch.url, userId, job.id, 2000);
    return {
      setup: {
        connections,
        seconds,
        db_pool: pool,
        server: "synth api (Node 20, one process)",
        datasets: 50,
      },
      "GET /generation/status/{id}": status,
      "GET /upload/datasets": list,
      rls_overhead: overhead,
    };
  } finally {
    child?.kill("SIGKILL");
    await su.end();
    await scratch.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
