import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { idParamsSchema } from "../generation/status.ts";
import { authErrors, notFoundError, validationErrors } from "../responses.ts";
import { loadRun, loadTrials, runSummarySchema, toRunSummary, toTrial, trialSchema } from "./run-shape.ts";

const trialsSchema = z
  .object({ run: runSummarySchema, trials: z.array(trialSchema) })
  .openapi("OptimizationTrials");

export const route = createRoute({
  method: "get",
  path: "/optimization/trials/{id}",
  tags: ["optimization"],
  summary:
    "A study's trials in order: params, status, score, feasible, pruned, fit time, privacy, who proposed and ran each",
  description:
    "The owner's or, for admins, any run. Trials update live: subscribe to optimization_trials rows of the run with Supabase Realtime.",
  security: [{ bearer: [] }],
  request: { params: idParamsSchema },
  responses: {
    200: {
      description: "The run and its trials",
      content: { "application/json": { schema: envelopeOf(trialsSchema) } },
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
    const { run, trials } = await asCaller(deps, user, async (tx) => {
      const run = await loadRun(tx, id);
      return { run, trials: await loadTrials(tx, id) };
    });
    return ok(c, deps, { run: toRunSummary(run), trials: trials.map(toTrial) });
  });
}
