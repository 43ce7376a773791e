import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { routeStatsRowSchema } from "../../../shared/platform/stats.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { toCount } from "../paging.ts";
import { authErrors, validationErrors } from "../responses.ts";

const MAX_HOURS = 24 * 90;

const querySchema = z.object({
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_HOURS)
    .default(24)
    .openapi({ description: `Hours back, 1..${MAX_HOURS}`, example: 24 }),
});

const routeStatsSchema = z.object({
  route: z.string().openapi({ example: "/api/generation/status/:id" }),
  method: z.string(),
  requests: z.number().int(),
  errors: z.number().int().openapi({ description: "Server errors (status >= 500)" }),
  client_errors: z.number().int().openapi({ description: "Refused requests (4xx)" }),
  error_rate: z.number().openapi({ description: "errors / requests" }),
  p50_ms: z.number(),
  p95_ms: z.number(),
  p99_ms: z.number(),
});

const performanceSchema = z
  .object({
    since: z.string(),
    scope: z
      .enum(["own", "all"])
      .openapi({ description: "own: the caller's requests; all: every user's (admins)" }),
    routes: z.array(routeStatsSchema),
  })
  .openapi("Performance");

export const route = createRoute({
  method: "get",
  path: "/stats/performance",
  tags: ["stats"],
  summary: "Per route: requests, error rate and p50/p95/p99 latency from api_request_logs",
  security: [{ bearer: [] }],
  request: { query: querySchema },
  responses: {
    200: {
      description: "Most requested routes first",
      content: { "application/json": { schema: envelopeOf(performanceSchema) } },
    },
    ...validationErrors,
    ...authErrors,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const { hours } = c.req.valid("query");
    const since = new Date(deps.clock.now().getTime() - hours * 3_600_000);
    // Users see their own lines (RLS would allow nothing else); admins every line.
    const onlyMine = user.role !== "admin";
    const rows = await asCaller(deps, user, async (tx) => {
      const { rows } = await sql<unknown>`
        select * from public.api_route_stats(${since.toISOString()}::timestamptz, ${onlyMine})`.execute(tx);
      return rows.map((r) => routeStatsRowSchema.parse(r));
    });
    return ok(c, deps, {
      since: since.toISOString(),
      scope: onlyMine ? ("own" as const) : ("all" as const),
      routes: rows.map((r) => ({
        route: r.route,
        method: r.method,
        requests: toCount(r.requests),
        errors: toCount(r.errors),
        client_errors: toCount(r.client_errors),
        error_rate: r.error_rate,
        p50_ms: r.p50_ms,
        p95_ms: r.p95_ms,
        p99_ms: r.p99_ms,
      })),
    });
  });
}
