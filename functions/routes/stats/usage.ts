import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { usageDayRowSchema } from "../../../shared/platform/stats.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { toCount } from "../paging.ts";
import { authErrors, validationErrors } from "../responses.ts";

const MAX_DAYS = 366;

const querySchema = z.object({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_DAYS)
    .default(30)
    .openapi({ description: `Days back including today (UTC), 1..${MAX_DAYS}`, example: 30 }),
});

const daySchema = z.object({
  day: z.string().openapi({ example: "2026-12-02" }),
  requests: z.number().int(),
  generation_requests: z.number().int(),
  rows_generated: z.number().int(),
  datasets_uploaded: z.number().int(),
});

const usageSchema = z
  .object({
    since: z.string().openapi({ example: "2026-11-03" }),
    days: z.array(daySchema),
    totals: daySchema.omit({ day: true }),
  })
  .openapi("Usage");

export const route = createRoute({
  method: "get",
  path: "/stats/usage",
  tags: ["stats"],
  summary: "The caller's usage per UTC day: API requests, generation requests, rows generated, datasets",
  security: [{ bearer: [] }],
  request: { query: querySchema },
  responses: {
    200: {
      description: "Every day of the window, zeros included",
      content: { "application/json": { schema: envelopeOf(usageSchema) } },
    },
    ...validationErrors,
    ...authErrors,
  },
});

const dayOf = (d: Date): string => d.toISOString().slice(0, 10);

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const { days } = c.req.valid("query");
    const now = deps.clock.now();
    const since = dayOf(
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1))),
    );
    const rows = await asCaller(deps, user, async (tx) => {
      const { rows } = await sql<unknown>`select * from public.usage_by_day(${since}::date)`.execute(tx);
      return rows.map((r) => usageDayRowSchema.parse(r));
    });
    const items = rows.map((r) => ({
      day: dayOf(r.day),
      requests: toCount(r.requests),
      generation_requests: toCount(r.generation_requests),
      rows_generated: toCount(r.rows_generated),
      datasets_uploaded: toCount(r.datasets_uploaded),
    }));
    const totals = { requests: 0, generation_requests: 0, rows_generated: 0, datasets_uploaded: 0 };
    for (const item of items) {
      totals.requests += item.requests;
      totals.generation_requests += item.generation_requests;
      totals.rows_generated += item.rows_generated;
      totals.datasets_uploaded += item.datasets_uploaded;
    }
    return ok(c, deps, { since, days: items, totals });
  });
}
