import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { DATASET_STATUSES } from "../../../shared/platform/schema.ts";
import { asCaller, ok, pageWindow, requireUser } from "../../context.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { pageOf, pageQuery } from "../paging.ts";
import { authErrors, validationErrors } from "../responses.ts";
import { datasetSummarySchema, SUMMARY_COLUMNS, toDatasetSummary } from "./dataset-shape.ts";

export const listQuerySchema = z
  .object({ ...pageQuery, status: z.enum(DATASET_STATUSES).optional() })
  .openapi("ListDatasetsQuery");

const datasetPageSchema = pageOf(datasetSummarySchema).openapi("DatasetPage");

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
