import { createRoute } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { ok, requireUser } from "../../context.ts";
import {
  authErrors,
  conflictError,
  notFoundError,
  rateLimitedError,
  validationErrors,
} from "../responses.ts";
import { createGenerationRequest } from "../generation/create-request.ts";
import { startedSchema, startV2BodySchema } from "../generation/start-body.ts";

export const route = createRoute({
  method: "post",
  path: "/generation-v2/start",
  tags: ["generation-v2"],
  summary: "Start a generation with the full options: conditions, privacy guard, evaluation holdout",
  description:
    "POST /generation-v2/validate answers the same checks without starting. Conditions name categorical or boolean columns of the dataset (unknown column: 400 at conditions.<column>). The active-jobs limit answers 409 (details.reason = active_jobs).",
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { "application/json": { schema: startV2BodySchema } } } },
  responses: {
    201: {
      description: "The request",
      content: { "application/json": { schema: envelopeOf(startedSchema) } },
    },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
    ...conflictError,
    ...rateLimitedError,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const started = await createGenerationRequest(deps, user, c.req.valid("json"));
    return ok(c, deps, started, `generation request ${started.status}`, 201);
  });
}
