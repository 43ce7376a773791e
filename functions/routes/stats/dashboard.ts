import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { DATASET_STATUSES, JOB_STATUSES } from "../../../shared/platform/schema.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { toCount } from "../paging.ts";
import { authErrors } from "../responses.ts";
import { iso } from "../users/profile-shape.ts";

/**
 * Where the overall quality score sits in a generation request's quality_summary: the runner stores the
 * engine's evaluation report (shared/metrics/report-schema.ts), whose headline score is
 * quality.allPairs.overall (the mean of column shapes and of pair trends over every column pair, the score
 * we optimise; relatedPairs can flatter a bad sample). Summaries without a number there are not counted.
 */
export const OVERALL_QUALITY_PATH = ["quality", "allPairs", "overall"] as const;
const RECENT_JOBS = 5;

const byStatus = (statuses: readonly string[]) =>
  z.object(Object.fromEntries(statuses.map((s) => [s, z.number().int()])) as Record<string, z.ZodNumber>);

const dashboardSchema = z
  .object({
    datasets: z.object({ total: z.number().int(), by_status: byStatus(DATASET_STATUSES) }),
    jobs: z.object({ total: z.number().int(), by_status: byStatus(JOB_STATUSES) }),
    rows_generated: z.number().int().openapi({ description: "Sum of sample_size of succeeded requests" }),
    quality: z.object({
      mean_overall: z.number().nullable().openapi({ description: "Mean of quality.allPairs.overall, 0..1" }),
      scored_jobs: z.number().int(),
      score_path: z.string().openapi({ example: OVERALL_QUALITY_PATH.join(".") }),
    }),
    recent_jobs: z.array(
      z.object({
        id: z.string().uuid(),
        dataset_id: z.string().uuid().nullable(),
        model_type: z.string(),
        status: z.string(),
        sample_size: z.number().int(),
        created_at: z.string(),
        finished_at: z.string().nullable(),
      }),
    ),
  })
  .openapi("Dashboard");

export const route = createRoute({
  method: "get",
  path: "/stats/dashboard",
  tags: ["stats"],
  summary: "The caller's datasets and jobs by status, rows generated, mean quality and recent jobs",
  security: [{ bearer: [] }],
  responses: {
    200: {
      description: "The caller's numbers",
      content: { "application/json": { schema: envelopeOf(dashboardSchema) } },
    },
    ...authErrors,
  },
});

function countsByStatus(statuses: readonly string[], rows: { status: string; n: unknown }[]) {
  const counts: Record<string, number> = Object.fromEntries(statuses.map((s) => [s, 0]));
  for (const row of rows) counts[row.status] = toCount(row.n as string);
  return { total: Object.values(counts).reduce((a, b) => a + b, 0), by_status: counts };
}

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    // Admins may read everyone's rows: the owner filter keeps the dashboard the caller's own.
    const data = await asCaller(deps, user, async (tx) => {
      const datasets = await tx
        .selectFrom("datasets")
        .select(["status", (eb) => eb.fn.countAll().as("n")])
        .where("owner_id", "=", user.id)
        .groupBy("status")
        .execute();
      const jobs = await tx
        .selectFrom("generation_requests")
        .select(["status", (eb) => eb.fn.countAll().as("n")])
        .where("owner_id", "=", user.id)
        .groupBy("status")
        .execute();
      const path = `{${OVERALL_QUALITY_PATH.join(",")}}`;
      const { rows: totals } = await sql<{
        rows_generated: string | null;
        mean: number | null;
        scored: string;
      }>`
        select coalesce(sum(g.sample_size), 0)::bigint as rows_generated,
               avg((g.quality_summary #>> ${path}::text[])::double precision)
                 filter (where jsonb_typeof(g.quality_summary #> ${path}::text[]) = 'number') as mean,
               count(*) filter (where jsonb_typeof(g.quality_summary #> ${path}::text[]) = 'number') as scored
          from public.generation_requests g
         where g.owner_id = ${user.id} and g.status = 'succeeded'`.execute(tx);
      const recent = await tx
        .selectFrom("generation_requests")
        .select(["id", "dataset_id", "model_type", "status", "sample_size", "created_at", "finished_at"])
        .where("owner_id", "=", user.id)
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(RECENT_JOBS)
        .execute();
      return { datasets, jobs, totals: totals[0], recent };
    });
    return ok(c, deps, {
      datasets: countsByStatus(DATASET_STATUSES, data.datasets),
      jobs: countsByStatus(JOB_STATUSES, data.jobs),
      rows_generated: toCount(data.totals?.rows_generated),
      quality: {
        mean_overall: data.totals?.mean ?? null,
        scored_jobs: toCount(data.totals?.scored),
        score_path: OVERALL_QUALITY_PATH.join("."),
      },
      recent_jobs: data.recent.map((r) => ({
        id: r.id,
        dataset_id: r.dataset_id,
        model_type: r.model_type,
        status: r.status,
        sample_size: r.sample_size,
        created_at: iso(r.created_at) ?? "",
        finished_at: iso(r.finished_at),
      })),
    });
  });
}
