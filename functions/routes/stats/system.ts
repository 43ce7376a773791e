import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { JOB_STATUSES } from "../../../shared/platform/schema.ts";
import { systemStatsSchema } from "../../../shared/platform/stats.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireAdmin } from "../../context.ts";
import { authErrors } from "../responses.ts";

const jobCounts = z.object(
  Object.fromEntries(JOB_STATUSES.map((s) => [s, z.number().int()])) as Record<string, z.ZodNumber>,
);

const systemSchema = z
  .object({
    generated_at: z.string(),
    users: z.object({
      total: z.number().int(),
      disabled: z.number().int(),
      deleted: z.number().int(),
      admins: z.number().int(),
    }),
    jobs: z.object({ generation_requests: jobCounts, optimization_runs: jobCounts }),
    queue_wait_seconds: z.object({
      window_days: z.number(),
      samples: z.number().int(),
      p50: z.number().nullable(),
      p95: z.number().nullable(),
    }),
    storage: z.object({
      objects: z.number().int(),
      bytes: z.number(),
      buckets: z.record(z.string(), z.object({ objects: z.number().int(), bytes: z.number() })),
    }),
    runners: z.object({
      seen_within_seconds: z.number(),
      active: z.number().int(),
      running_jobs: z.number().int(),
      list: z.array(
        z.object({
          runner_id: z.string(),
          started_at: z.string(),
          last_seen_at: z.string(),
          running_jobs: z.number().int(),
          version: z.string().nullable(),
          details: z.record(z.string(), z.unknown()),
        }),
      ),
    }),
  })
  .openapi("SystemStats");

export const route = createRoute({
  method: "get",
  path: "/stats/system",
  tags: ["stats"],
  summary: "Administrators: users, jobs per status, queue wait p50/p95, runners, storage bytes",
  security: [{ bearer: [] }],
  responses: {
    200: {
      description: "The platform overview",
      content: { "application/json": { schema: envelopeOf(systemSchema) } },
    },
    ...authErrors,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireAdmin(c);
    // admin_system_stats() checks is_admin() and is_active() itself; requireAdmin answers early and clearly.
    const stats = await asCaller(deps, user, async (tx) => {
      const { rows } = await sql<{ stats: unknown }>`select public.admin_system_stats() as stats`.execute(tx);
      return systemStatsSchema.parse(rows[0]?.stats);
    });
    const buckets = Object.values(stats.storage);
    return ok(c, deps, {
      ...stats,
      storage: {
        objects: buckets.reduce((n, b) => n + b.objects, 0),
        bytes: buckets.reduce((n, b) => n + b.bytes, 0),
        buckets: stats.storage,
      },
    });
  });
}
