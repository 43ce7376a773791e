import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser, type ApiContext } from "../../context.ts";
import { authErrors } from "../responses.ts";
import { startV2BodySchema } from "../generation/start-body.ts";
import { checkStart } from "./check-start.ts";
import { estimateOf, estimateSchema } from "./fit-estimate.ts";

const validationSchema = z
  .object({
    valid: z.boolean(),
    problems: z.array(
      z.object({
        path: z.string().openapi({ description: "Dotted path into the body ('' = the request as a whole)" }),
        message: z.string(),
      }),
    ),
    estimate: estimateSchema.nullable().openapi({
      description:
        "Fit and sample time and peak memory; null when the dataset or model is not known well enough",
    }),
    limits: z.object({
      max_sample_size: z.number().int(),
      max_epochs: z.number().int(),
      max_active_jobs_per_user: z.number().int(),
      active_jobs: z.number().int(),
      generation_requires_approval: z.boolean(),
    }),
  })
  .openapi("GenerationValidation");

export const route = createRoute({
  method: "post",
  path: "/generation-v2/validate",
  tags: ["generation-v2"],
  summary: "Check a full generation config without starting it: every problem with its path, and an estimate",
  description:
    "Answers 200 whether or not the config is valid: zod's issues, the dataset's (yours, ready, the conditions' columns) and the platform's limits (the insert trigger's rules, run as you), all of them.",
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { "application/json": { schema: startV2BodySchema } } } },
  responses: {
    200: {
      description: "The verdict",
      content: { "application/json": { schema: envelopeOf(validationSchema) } },
    },
    ...authErrors,
  },
});

async function answer(c: ApiContext, deps: AppDeps, raw: unknown) {
  const user = requireUser(c);
  const check = await asCaller(deps, user, (tx) => checkStart(tx, user, raw));
  const estimate =
    check.body !== null && check.dataset !== null ? estimateOf(check.body, check.dataset) : null;
  return ok(
    c,
    deps,
    {
      valid: check.problems.length === 0,
      problems: check.problems,
      estimate,
      limits: {
        max_sample_size: check.limits.maxSampleSize,
        max_epochs: check.limits.maxEpochs,
        max_active_jobs_per_user: check.limits.maxActiveJobs,
        active_jobs: check.activeJobs,
        generation_requires_approval: check.limits.requiresApproval,
      },
    },
    check.problems.length === 0 ? "valid" : `${check.problems.length} problem(s)`,
  );
}

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(
    route,
    async (c) => answer(c, deps, c.req.valid("json")),
    // An invalid body is this route's subject, not a 400: it is answered with its problems (the
    // validator hands the hook the raw body as `data`).
    (result, c) =>
      result.success
        ? undefined
        : answer(c as ApiContext, deps, (result as unknown as { data: unknown }).data),
  );
}
