import { randomBytes } from "node:crypto";
import { availableParallelism, hostname, totalmem } from "node:os";
import { z } from "zod";
import { MAX_FIT_THREADS, type ThreadSetting } from "../cli/fit-replica.ts";
import { synthError } from "../shared/errors.ts";

/** What a runner can execute: generation requests, dataset validation/profiling, optimisation trials. */
export const JOB_KINDS = ["generation", "dataset", "optimization_trial"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

const blankIsUnset = (value: unknown) => (value === "" ? undefined : value);
const optionalString = z.preprocess(blankIsUnset, z.string().min(1).optional());
const positiveInt = (fallback: number) =>
  z.preprocess(blankIsUnset, z.coerce.number().int().positive().default(fallback));

function defaultRunnerId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

/**
 * The runner's configuration, read once from the environment by the entrypoint (`synth runner`) and passed
 * down typed. Defaults are what a single runner on a developer machine wants; README lists them.
 */
export const runnerEnvSchema = z.object({
  DATABASE_URL: z.string().min(1),
  SUPABASE_URL: z.string().url(),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1),
  // storage-js sends an apikey header with every call; the service key serves when no anon key is given.
  SUPABASE_ANON_KEY: optionalString,
  RUNNER_ID: z.preprocess(blankIsUnset, z.string().min(1).max(200).optional()),
  RUNNER_CONCURRENCY: z.preprocess(blankIsUnset, z.coerce.number().int().min(1).max(64).default(1)),
  RUNNER_WEBHOOK_SECRET: optionalString,
  RUNNER_PORT: z.preprocess(blankIsUnset, z.coerce.number().int().min(0).max(65535).default(8788)),
  RUNNER_HOST: z.preprocess(blankIsUnset, z.string().min(1).default("127.0.0.1")),
  RUNNER_LEASE_SECONDS: z.preprocess(blankIsUnset, z.coerce.number().int().min(2).max(3600).default(60)),
  RUNNER_POLL_SECONDS: z.preprocess(blankIsUnset, z.coerce.number().positive().max(3600).default(5)),
  RUNNER_JOB_TIMEOUT_SECONDS: positiveInt(3600),
  RUNNER_MEMORY_MB: z.preprocess(blankIsUnset, z.coerce.number().int().positive().optional()),
  RUNNER_SHUTDOWN_GRACE_SECONDS: z.preprocess(blankIsUnset, z.coerce.number().min(0).max(3600).default(30)),
  RUNNER_HEARTBEAT_SECONDS: z.preprocess(blankIsUnset, z.coerce.number().positive().max(3600).default(15)),
  RUNNER_KINDS: z.preprocess(
    blankIsUnset,
    z
      .string()
      .default(JOB_KINDS.join(","))
      .transform((s) =>
        s
          .split(",")
          .map((k) => k.trim())
          .filter((k) => k !== ""),
      )
      .pipe(z.array(z.enum(JOB_KINDS)).min(1)),
  ),
  RUNNER_DB_MAX_CONNECTIONS: z.preprocess(blankIsUnset, z.coerce.number().int().min(2).max(100).default(4)),
  // One job worker thread booted ahead (warm-workers.ts); off trades job start latency for idle memory.
  RUNNER_WARM_WORKERS: z.preprocess(
    blankIsUnset,
    z
      .enum(["1", "0", "true", "false"])
      .default("1")
      .transform((v) => v === "1" || v === "true"),
  ),
  // Training threads per fit (cli/fit-replica.ts): auto shares the cores among the jobs.
  RUNNER_FIT_THREADS: z.preprocess(
    blankIsUnset,
    z.union([z.literal("auto"), z.coerce.number().int().min(1).max(MAX_FIT_THREADS)]).default("auto"),
  ),
  LOG_LEVEL: z.preprocess(blankIsUnset, z.enum(["debug", "info", "warn", "error"]).default("info")),
});

export interface RunnerConfig {
  databaseUrl: string;
  supabaseUrl: string;
  serviceRoleKey: string;
  anonKey: string;
  runnerId: string;
  concurrency: number;
  webhookSecret: string | null;
  port: number;
  host: string;
  leaseSeconds: number;
  pollSeconds: number;
  jobTimeoutSeconds: number;
  memoryMb: number;
  shutdownGraceSeconds: number;
  heartbeatSeconds: number;
  kinds: JobKind[];
  dbMaxConnections: number;
  warmWorkers: boolean;
  fitThreads: ThreadSetting;
  logLevel: "debug" | "info" | "warn" | "error";
}

export function loadRunnerConfig(env: Record<string, string | undefined>): RunnerConfig {
  const parsed = runnerEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ variable: i.path.join("."), message: i.message }));
    throw synthError(
      "VALIDATION_ERROR",
      `Invalid runner configuration in the environment: ${issues.map((i) => `${i.variable}: ${i.message}`).join("; ")}`,
      { issues },
    );
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    supabaseUrl: e.SUPABASE_URL,
    serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY,
    anonKey: e.SUPABASE_ANON_KEY ?? e.SUPABASE_SERVICE_ROLE_KEY,
    runnerId: e.RUNNER_ID ?? defaultRunnerId(),
    concurrency: e.RUNNER_CONCURRENCY,
    webhookSecret: e.RUNNER_WEBHOOK_SECRET ?? null,
    port: e.RUNNER_PORT,
    host: e.RUNNER_HOST,
    leaseSeconds: e.RUNNER_LEASE_SECONDS,
    pollSeconds: e.RUNNER_POLL_SECONDS,
    jobTimeoutSeconds: e.RUNNER_JOB_TIMEOUT_SECONDS,
    memoryMb: e.RUNNER_MEMORY_MB ?? Math.floor((totalmem() / 2 ** 20) * 0.8),
    shutdownGraceSeconds: e.RUNNER_SHUTDOWN_GRACE_SECONDS,
    heartbeatSeconds: e.RUNNER_HEARTBEAT_SECONDS,
    kinds: e.RUNNER_KINDS,
    dbMaxConnections: e.RUNNER_DB_MAX_CONNECTIONS,
    warmWorkers: e.RUNNER_WARM_WORKERS,
    fitThreads: e.RUNNER_FIT_THREADS,
    logLevel: e.LOG_LEVEL,
  };
}

/**
 * A job's training threads: the setting, with the machine's cores shared among the jobs that may run at
 * once (`runners` runners in this process, each up to its concurrency), so auto never oversubscribes.
 */
export function jobFitThreads(
  config: Pick<RunnerConfig, "fitThreads" | "concurrency">,
  runners = 1,
): { setting: ThreadSetting; cores: number } {
  return {
    setting: config.fitThreads,
    cores: Math.max(1, Math.floor(availableParallelism() / (config.concurrency * runners))),
  };
}
