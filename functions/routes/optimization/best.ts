import { createRoute } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { datasetRows } from "../../../shared/platform/optimization-study.ts";
import { idParamsSchema } from "../generation/status.ts";
import { authErrors, notFoundError, validationErrors } from "../responses.ts";
import { bestSchema, loadRun, toBest } from "./run-shape.ts";

export const route = createRoute({
  method: "get",
  path: "/optimization/best/{id}",
  tags: ["optimization"],
  summary:
    "A study's best configuration so far (final once the run finished), its Pareto front, and a ready POST /generation/start body",
  description:
    "best is the feasible trial of highest score; pareto the trials no other beats on quality, fit time and privacy at once. generation_request is a body for POST /generation/start with the best hyperparameters, the run's dataset and seed, and the dataset's row count as sample size.",
  security: [{ bearer: [] }],
  request: { params: idParamsSchema },
  responses: {
    200: {
      description: "The best configuration",
      content: { "application/json": { schema: envelopeOf(bestSchema) } },
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
    const best = await asCaller(deps, user, async (tx) => {
      const run = await loadRun(tx, id);
      const trial =
        run.best_trial_id === null
          ? undefined
          : await tx
              .selectFrom("optimization_trials")
              .selectAll()
              .where("id", "=", run.best_trial_id)
              .executeTakeFirst();
      return toBest(run, trial, await datasetRows(tx, run.dataset_id));
    });
    return ok(c, deps, best);
  });
}
