import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { DATASET_STATUSES } from "../../../shared/platform/schema.ts";
import { asCaller, ok, pageWindow, requireUser } from "../../context.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { authErrors, validationErrors } from "../responses.ts";
import { datasetSummarySchema, SUMMARY_COLUMNS, toDatasetSummary } from "./dataset-shape.ts";

export const listQuerySchema = z
  .object({
    page: z.coerce.number().int().min(1).default(1).openapi({ example: 1 }),
    page_size: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
    status: z.enum(DATASET_STATUSES).optional(),
  })
  .openapi("ListDatasetsQuery");

const datasetPageSchema = z
  .object({
    items: z.array(datasetSummarySchema),
    page: z.number().int(),
    page_size: z.number().int(),
    total: z.number().int(),
  })
  .openapi("DatasetPage");

export const route = createRoute({
  method: "get",
  path: "/upload/datasets",
  tags: ["upload"],
  summary: "Your datasets, newest first (without the profile: GET /upload/datasets/{id} has it)",
  security: [{ bearer: [] }],
  request: { query: listQuerySchema },
  responses: {
    200: {
      description: "One page of datasets",
      content: { "application/json": { schema: envelopeOf(datasetPageSchema) } },
    },
    ...validationErrors,
    ...authErrors,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const query = c.req.valid("query");
    const { limit, offset } = pageWindow(query.page, query.page_size);
    // The caller's own: the policy also lets admins read everyone's, which is not what "my datasets" lists.
    const { rows, total } = await asCaller(deps, user, async (tx) => {
      let base = tx.selectFrom("datasets").where("owner_id", "=", user.id);
      if (query.status !== undefined) base = base.where("status", "=", query.status);
      const items = await base
        .select(SUMMARY_COLUMNS)
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(limit)
        .offset(offset)
        .execute();
      const count = await base.select(sql<string>`count(*)`.as("n")).executeTakeFirstOrThrow();
      return { rows: items, total: Number(count.n) };
    });
    return ok(c, deps, {
      items: rows.map(toDatasetSummary),
      page: query.page,
      page_size: query.page_size,
      total,
    });
  });
}
