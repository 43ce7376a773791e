import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { migrate } from "../../local/db/migrate.ts";
import { mintApiKey } from "../../shared/platform/jwt-mint.ts";
import { createHttpStorage } from "../../shared/platform/storage-http.ts";
import type { StoragePort } from "../../shared/platform/storage.ts";
import { createScratchDatabase, type ScratchDatabase } from "../setup/scratch-database.ts";

/**
 * The runner's fault tests drive real processes: `synth api --storage local` serves Storage over HTTP, and
 * every runner is a `synth runner` process on a scratch database of its own (the tests kill backends, so
 * they do not share the suite's database).
 */
const REPO = new URL("../../", import.meta.url).pathname;
const BIN = join(REPO, "bin/synth.mjs");

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s: Server = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  lines: string[];
  logs(): Record<string, unknown>[];
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

export function spawnSynth(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onData = (chunk: Buffer, partial: { rest: string }) => {
    const text = partial.rest + chunk.toString("utf8");
    const parts = text.split("\n");
    partial.rest = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  const out = { rest: "" };
  const err = { rest: "" };
  child.stdout?.on("data", (c: Buffer) => onData(c, out));
  child.stderr?.on("data", (c: Buffer) => onData(c, err));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    logs: () =>
      lines.flatMap((l) => {
        try {
          const v = JSON.parse(l) as unknown;
          return v !== null && typeof v === "object" ? [v as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      }),
    waitForLine(pattern, timeoutMs = 60_000) {
      const found = lines.find((l) => pattern.test(l));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no line matching ${pattern} within ${timeoutMs} ms:\n${lines.slice(-30).join("\n")}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
    exited,
    kill(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export interface Platform {
  db: ScratchDatabase;
  su: postgres.Sql;
  api: Proc;
  apiUrl: string;
  serviceKey: string;
  /** The API's JWT secret: tests mint users' access tokens with it. */
  jwtSecret: string;
  storage: StoragePort;
  runners: Proc[];
  /** Starts a `synth runner` process; env overrides the defaults (fast poll, short lease). */
  startRunner(env?: Record<string, string>): Promise<Proc & { url: string; id: string }>;
  close(): Promise<void>;
}

export async function startPlatform(prefix: string): Promise<Platform> {
  const db = await createScratchDatabase(prefix);
  await migrate(db.url);
  const su = postgres(db.url, { max: 3, onnotice: () => {} });
  // Small jobs, many of them, retried fast: what the fault tests need, set as an admin would.
  await su`update public.platform_settings set value = '1000' where key = 'max_active_jobs_per_user'`;
  const secret = randomBytes(32).toString("hex");
  const dataDir = await mkdtemp(join(tmpdir(), "synth-runner-test-"));
  const port = await freePort();
  const api = spawnSynth(
    ["api", "--storage", "local", "--port", String(port), "--data-dir", dataDir, "--database-url", db.url],
    { SUPABASE_JWT_SECRET: secret, LOG_LEVEL: "warn" },
  );
  await api.waitForLine(/^ready$/, 90_000);
  const apiUrl = `http://127.0.0.1:${port}`;
  const serviceKey = await mintApiKey(secret, "service_role");
  const anonKey = await mintApiKey(secret, "anon");
  const storage = createHttpStorage({ url: apiUrl, anonKey, serviceRoleKey: serviceKey });
  const runners: Proc[] = [];
  return {
    db,
    su,
    api,
    apiUrl,
    serviceKey,
    jwtSecret: secret,
    storage,
    runners,
    async startRunner(env = {}) {
      const id = env.RUNNER_ID ?? `test-runner-${runners.length + 1}-${randomUUID().slice(0, 6)}`;
      const runnerPort = await freePort();
      const proc = spawnSynth(["runner"], {
        DATABASE_URL: db.url,
        SUPABASE_URL: apiUrl,
        SUPABASE_SERVICE_ROLE_KEY: serviceKey,
        SUPABASE_ANON_KEY: anonKey,
        RUNNER_ID: id,
        RUNNER_PORT: String(runnerPort),
        RUNNER_POLL_SECONDS: "1",
        RUNNER_LEASE_SECONDS: "6",
        RUNNER_HEARTBEAT_SECONDS: "2",
        RUNNER_SHUTDOWN_GRACE_SECONDS: "5",
        RUNNER_WEBHOOK_SECRET: "test-webhook-secret",
        RUNNER_KINDS: "generation",
        ...env,
      });
      runners.push(proc);
      await proc.waitForLine(/"message":"ready"/, 90_000);
      return Object.assign(proc, { url: `http://127.0.0.1:${runnerPort}`, id });
    },
    async close() {
      for (const r of runners) r.kill("SIGKILL");
      api.kill("SIGTERM");
      await Promise.race([Promise.all([api.exited, ...runners.map((r) => r.exited)]), sleep(10_000)]);
      api.kill("SIGKILL");
      await su.end({ timeout: 2 });
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A small, seeded CSV: numbers and a category, enough for every model to fit in well under a second. */
export function smallCsv(rows = 60, seed = 7): string {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const out = ["age,income,city"];
  const cities = ["paris", "lyon", "nice"];
  for (let i = 0; i < rows; i++) {
    const age = 20 + Math.floor(rand() * 50);
    out.push(`${age},${Math.round(20000 + age * 800 + rand() * 10000)},${cities[Math.floor(rand() * 3)]}`);
  }
  return `${out.join("\n")}\n`;
}

export interface Owner {
  userId: string;
  datasetId: string;
}

/** A user with one ready dataset whose file is in Storage (uploaded with the service role). */
export async function createOwnerWithDataset(p: Platform, csv = smallCsv()): Promise<Owner> {
  const userId = randomUUID();
  await p.su`insert into auth.users (id, aud, role, email, raw_app_meta_data)
             values (${userId}, 'authenticated', 'authenticated', ${`${userId.slice(0, 8)}@example.test`}, ${p.su.json({ provider: "email" })})`;
  const path = `${userId}/people.csv`;
  const body = new TextEncoder().encode(csv);
  await p.storage
    .asServiceRole("test: arrange a dataset")
    .upload("datasets", path, body, { contentType: "text/csv" });
  const [row] = await p.su<{ id: string }[]>`
    insert into public.datasets (owner_id, name, storage_path, format, status, size_bytes)
    values (${userId}, 'people', ${path}, 'csv', 'ready', ${body.length}) returning id`;
  return { userId, datasetId: row.id };
}

export async function enqueueGeneration(
  p: Platform,
  owner: Owner,
  options: {
    model?: "gaussian_copula" | "ctgan" | "tvae";
    modelConfig?: Record<string, unknown>;
    sampleSize?: number;
  } = {},
): Promise<string> {
  const [row] = await p.su<{ id: string }[]>`
    insert into public.generation_requests (owner_id, dataset_id, model_type, model_config, sample_size, seed)
    values (${owner.userId}, ${owner.datasetId}, ${options.model ?? "gaussian_copula"},
            ${p.su.json((options.modelConfig ?? {}) as postgres.JSONValue)}, ${options.sampleSize ?? 20}, 42)
    returning id`;
  return row.id;
}

export interface JobRow {
  id: string;
  status: string;
  attempts: number;
  locked_by: string | null;
  result_paths: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  progress: Record<string, unknown>;
}

export async function jobRows(p: Platform, ids: string[]): Promise<JobRow[]> {
  return p.su<JobRow[]>`select id, status, attempts, locked_by, result_paths, error, progress
                        from public.generation_requests where id = any(${ids}::uuid[])`;
}

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 120_000,
  everyMs = 250,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    const value = await check();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    last = value;
    await sleep(everyMs);
  }
}

export async function waitForStatuses(
  p: Platform,
  ids: string[],
  done: string[],
  timeoutMs = 180_000,
): Promise<JobRow[]> {
  return waitFor(
    `${ids.length} jobs to reach ${done.join("/")}`,
    async () => {
      const rows = await jobRows(p, ids);
      return rows.length === ids.length && rows.every((r) => done.includes(r.status)) ? rows : null;
    },
    timeoutMs,
  );
}

/** Log lines of the runners saying that a job's completion was recorded. */
export function completions(runners: Proc[]): Map<string, string[]> {
  const byJob = new Map<string, string[]>();
  for (const r of runners) {
    for (const l of r.logs()) {
      if (l.message === "job succeeded" && typeof l.job_id === "string") {
        byJob.set(l.job_id, [...(byJob.get(l.job_id) ?? []), String(l.runner_id)]);
      }
    }
  }
  return byJob;
}
