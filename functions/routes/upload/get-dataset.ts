import { createRoute, z } from "@hono/zod-openapi";
import { notFound } from "../../../shared/errors.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { authErrors, notFoundError, validationErrors } from "../responses.ts";
import { datasetSchema, toDataset } from "./dataset-shape.ts";

export const datasetParamsSchema = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: "id", in: "path" }, example: "00000000-0000-4000-8000-000000000000" }),
});

export const route = createRoute({
  method: "get",
  path: "/upload/datasets/{id}",
  tags: ["upload"],
  summary: "One dataset with its status, inferred column metadata, profile and, when invalid, the error",
  security: [{ bearer: [] }],
  request: { params: datasetParamsSchema },
  responses: {
    200: {
      description: "The dataset",
      content: { "application/json": { schema: envelopeOf(datasetSchema) } },
    },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const { id } = c.req.valid("param");
    const row = await asCaller(deps, user, (tx) =>
      tx.selectFrom("datasets").selectAll().where("id", "=", id).executeTakeFirst(),
    );
    if (row === undefined) throw notFound("the dataset", { id });
    return ok(c, deps, toDataset(row));
  });
}
