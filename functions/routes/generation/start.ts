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
import { createGenerationRequest } from "./create-request.ts";
import { startBodySchema, startedSchema } from "./start-body.ts";

export const route = createRoute({
  method: "post",
  path: "/generation/start",
  tags: ["generation"],
  summary: "Ask for a synthetic table: dataset, model and hyperparameters, sample size, output format, seed",
  description:
    "Queued, or pending_approval when the platform requires approval. The platform's limits (max_sample_size, max_epochs) answer 400 with the path; the active-jobs limit answers 409 (details.reason = active_jobs).",
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { "application/json": { schema: startBodySchema } } } },
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
