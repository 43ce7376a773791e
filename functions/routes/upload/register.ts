import { createRoute, z } from "@hono/zod-openapi";
import { ok, requireUser, takeRateLimit } from "../../context.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import {
  authErrors,
  conflictError,
  notFoundError,
  rateLimitedError,
  unprocessableError,
  validationErrors,
} from "../responses.ts";
import { datasetSchema } from "./dataset-shape.ts";
import { objectPathSchema } from "./object-path.ts";
import { registerDataset } from "./registration.ts";

export const registerBodySchema = z
  .object({
    path: objectPathSchema.openapi({
      description: "The object in the datasets bucket, inside your folder: `<your user id>/<file>`",
      example: "8f7c1e2a-0000-4000-8000-000000000000/people.csv",
    }),
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2000).nullable().optional(),
  })
  .strict()
  .openapi("RegisterDataset");

export const route = createRoute({
  method: "post",
  path: "/upload/register",
  tags: ["upload"],
  summary:
    "Register a file you uploaded to the datasets bucket with supabase-js; small files are validated and profiled at once",
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { "application/json": { schema: registerBodySchema } } } },
  responses: {
    201: {
      description:
        "The dataset: 'ready' or 'invalid' (with the error) when validated inline, 'uploaded' when a background job validates it",
      content: { "application/json": { schema: envelopeOf(datasetSchema) } },
    },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
    ...conflictError,
    ...unprocessableError,
    ...rateLimitedError,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const body = c.req.valid("json");
    await takeRateLimit(deps, user, "uploads", deps.config.rateLimits.uploads);
    const { dataset, message } = await registerDataset(deps, user, c.get("accessToken")!, body, c.get("log"));
    return ok(c, deps, dataset, message, 201);
  });
}
