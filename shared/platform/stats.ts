import { z } from "zod";
import { JOB_STATUSES } from "./schema.ts";

/**
 * The shapes of what the stats functions of supabase/migrations/20261202001200_usage_stats.sql answer, as
 * postgres.js delivers them (bigint columns as strings, jsonb as parsed JSON). The API parses each answer
 * with these before it renders it; tests/db/stats.test.ts parses real answers with them.
 */
const count = z.string().regex(/^\d+$/);

/** One row of public.api_route_stats(since, only_mine). */
export const routeStatsRowSchema = z.object({
  route: z.string(),
  method: z.string(),
  requests: count,
  errors: count,
  client_errors: count,
  error_rate: z.number().min(0).max(1),
  p50_ms: z.number(),
  p95_ms: z.number(),
  p99_ms: z.number(),
});
export type RouteStatsRow = z.infer<typeof routeStatsRowSchema>;

/** One row of public.usage_by_day(since). */
export const usageDayRowSchema = z.object({
  day: z.date(),
  requests: count,
  generation_requests: count,
  rows_generated: count,
  datasets_uploaded: count,
});
export type UsageDayRow = z.infer<typeof usageDayRowSchema>;

const jobCounts = z.object(
  Object.fromEntries(JOB_STATUSES.map((s) => [s, z.number().int().min(0)])) as Record<
    (typeof JOB_STATUSES)[number],
    z.ZodNumber
  >,
);

/** The jsonb document of public.admin_system_stats(). */
export const systemStatsSchema = z.object({
  generated_at: z.string(),
  users: z.object({
    total: z.number().int().min(0),
    disabled: z.number().int().min(0),
    deleted: z.number().int().min(0),
    admins: z.number().int().min(0),
  }),
  jobs: z.object({ generation_requests: jobCounts, optimization_runs: jobCounts }),
  queue_wait_seconds: z.object({
    window_days: z.number(),
    samples: z.number().int().min(0),
    // Null when nothing started in the window.
    p50: z.number().nullable(),
    p95: z.number().nullable(),
  }),
  storage: z.record(z.string(), z.object({ objects: z.number().int().min(0), bytes: z.number().min(0) })),
  runners: z.object({
    seen_within_seconds: z.number(),
    active: z.number().int().min(0),
    running_jobs: z.number().int().min(0),
    list: z.array(
      z.object({
        runner_id: z.string(),
        started_at: z.string(),
        last_seen_at: z.string(),
        running_jobs: z.number().int().min(0),
        version: z.string().nullable(),
        details: z.record(z.string(), z.unknown()),
      }),
    ),
  }),
});
export type SystemStats = z.infer<typeof systemStatsSchema>;
