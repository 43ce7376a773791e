import { col, type KyselyTable } from "./column.ts";

/**
 * Every table of the public schema as it stands after supabase/migrations/, one spec per column.
 * schema.test.ts compares this with information_schema; change both together.
 */
export const JOB_STATUSES = [
  "pending_approval",
  "queued",
  "running",
  "succeeded",
  "failed",
  "canceled",
  "rejected",
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TRIAL_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export type TrialStatus = (typeof TRIAL_STATUSES)[number];
export const DATASET_STATUSES = ["uploaded", "validating", "ready", "invalid"] as const;
export type DatasetStatus = (typeof DATASET_STATUSES)[number];
export type ModelType = "ctgan" | "tvae" | "gaussian_copula";
export type DatasetFormat = "csv" | "json" | "jsonl" | "xlsx" | "parquet";
export type OutputFormat = "csv" | "json" | "xlsx" | "parquet";
export type OptimizationMethod = "grid" | "random" | "bayesian";

const created = () => col.timestamptz().default();

/** What every queue item (generation request, optimisation run or trial) has: attempts, lease, cancel, times. */
const queueItem = () => ({
  attempts: col.integer().default(),
  run_after: created(),
  locked_by: col.text().null(),
  locked_until: col.timestamptz().null(),
  cancel_requested: col.boolean().default(),
  error: col.jsonb().null(),
  started_at: col.timestamptz().null(),
  finished_at: col.timestamptz().null(),
  created_at: created(),
  updated_at: created(),
});

export const schema = {
  profiles: {
    id: col.uuid(),
    display_name: col.text().null(),
    organisation: col.text().null(),
    avatar_url: col.text().null(),
    preferences: col.jsonb().default(),
    notification_consent: col.boolean().default(),
    notification_consent_at: col.timestamptz().null(),
    created_at: created(),
    updated_at: created(),
  },
  datasets: {
    id: col.uuid().default(),
    owner_id: col.uuid().default(),
    name: col.text(),
    description: col.text().null(),
    storage_bucket: col.text<"datasets">().default(),
    storage_path: col.text(),
    format: col.text<DatasetFormat>(),
    size_bytes: col.bigint().null(),
    sha256: col.text().null(),
    row_count: col.integer().null(),
    column_count: col.integer().null(),
    column_metadata: col.jsonb().null(),
    profile: col.jsonb().null(),
    status: col.text<DatasetStatus>().default(),
    error: col.jsonb().null(),
    attempts: col.integer().default(),
    locked_by: col.text().null(),
    locked_until: col.timestamptz().null(),
    created_at: created(),
    updated_at: created(),
  },
  platform_settings: {
    key: col.text(),
    value: col.jsonb<string | number | boolean | null>(),
    description: col.text().null(),
    updated_by: col.uuid().null(),
    created_at: created(),
    updated_at: created(),
  },
  admin_action_logs: {
    id: col.bigint().always(),
    admin_id: col.uuid().null(),
    action: col.text(),
    target_table: col.text().null(),
    target_id: col.text().null(),
    reason: col.text().null(),
    details: col.jsonb().default(),
    created_at: created(),
  },
  api_request_logs: {
    id: col.bigint().always(),
    request_id: col.text(),
    user_id: col.uuid().null(),
    method: col.text<"GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS">(),
    route: col.text(),
    status: col.integer(),
    duration_ms: col.integer(),
    bytes_in: col.bigint().default(),
    bytes_out: col.bigint().default(),
    error_code: col.text().null(),
    created_at: created(),
  },
  generation_requests: {
    id: col.uuid().default(),
    owner_id: col.uuid().default(),
    dataset_id: col.uuid().null(),
    model_type: col.text<ModelType>(),
    model_config: col.jsonb().default(),
    optimization_config: col.jsonb().null(),
    sample_size: col.integer(),
    output_format: col.text<OutputFormat>().default(),
    seed: col.bigint().null(),
    status: col.text<JobStatus>().default(),
    progress: col.jsonb().default(),
    max_attempts: col.integer().default(),
    result_paths: col.jsonb().null(),
    quality_summary: col.jsonb().null(),
    approved_by: col.uuid().null(),
    approved_at: col.timestamptz().null(),
    rejected_by: col.uuid().null(),
    rejected_at: col.timestamptz().null(),
    decision_reason: col.text().null(),
    run_options: col.jsonb().default(),
    ...queueItem(),
  },
  optimization_runs: {
    id: col.uuid().default(),
    owner_id: col.uuid().default(),
    dataset_id: col.uuid().null(),
    generation_request_id: col.uuid().null(),
    model_type: col.text<ModelType>(),
    method: col.text<OptimizationMethod>(),
    search_space: col.jsonb(),
    budget: col.jsonb().default(),
    metric: col.text().default(),
    seed: col.bigint().null(),
    status: col.text<JobStatus>().default(),
    trials_completed: col.integer().default(),
    best_trial_id: col.uuid().null(),
    best_params: col.jsonb().null(),
    best_score: col.double().null(),
    ...queueItem(),
    objective: col.jsonb().default(),
    parallelism: col.integer().default(),
    pareto: col.jsonb().null(),
    decided_by: col.uuid().null(),
    decided_at: col.timestamptz().null(),
    decision_reason: col.text().null(),
  },
  optimization_trials: {
    id: col.uuid().default(),
    run_id: col.uuid(),
    owner_id: col.uuid(),
    trial_number: col.integer(),
    params: col.jsonb(),
    status: col.text<TrialStatus>().default(),
    score: col.double().null(),
    metrics: col.jsonb().null(),
    progress: col.jsonb().default(),
    duration_ms: col.integer().null(),
    ...queueItem(),
    proposal: col.jsonb().null(),
  },
  notifications: {
    id: col.uuid().default(),
    user_id: col.uuid(),
    kind: col.text(),
    title: col.text(),
    body: col.text().null(),
    data: col.jsonb().default(),
    read_at: col.timestamptz().null(),
    pushed_at: col.timestamptz().null(),
    created_at: created(),
  },
  push_tokens: {
    id: col.uuid().default(),
    user_id: col.uuid().default(),
    token: col.text(),
    platform: col.text<"ios" | "android" | "web">(),
    device_name: col.text().null(),
    created_at: created(),
    last_seen_at: created(),
  },
  api_rate_limits: {
    user_id: col.uuid(),
    bucket: col.text(),
    window_start: col.timestamptz(),
    hits: col.integer(),
  },
  runner_heartbeats: {
    runner_id: col.text(),
    started_at: created(),
    last_seen_at: created(),
    running_jobs: col.integer().default(),
    version: col.text().null(),
    details: col.jsonb().default(),
  },
} as const;

/**
 * The views of the public schema (for Supabase Studio and admin reads). PostgreSQL reports every view
 * column as nullable and without a default, so each is declared so; schema.test.ts checks them too.
 */
export const views = {
  admin_queue: {
    id: col.uuid().null(),
    kind: col.text<"generation" | "optimization">().null(),
    owner_id: col.uuid().null(),
    status: col.text<JobStatus>().null(),
    attempts: col.integer().null(),
    run_after: col.timestamptz().null(),
    locked_by: col.text().null(),
    locked_until: col.timestamptz().null(),
    created_at: col.timestamptz().null(),
    started_at: col.timestamptz().null(),
    wait_seconds: col.double().null(),
    lease_expired: col.boolean().null(),
  },
  admin_usage_daily: {
    day: col.date().null(),
    requests: col.bigint().null(),
    users: col.bigint().null(),
    errors: col.bigint().null(),
    generation_requests: col.bigint().null(),
    rows_generated: col.bigint().null(),
  },
} as const;

type Schema = typeof schema & typeof views;
/** The kysely database interface of the public schema (tables and views). */
export type Database = { [T in keyof Schema]: KyselyTable<Schema[T]> };
export type TableName = keyof Database;
