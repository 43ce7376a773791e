import { createRoute, z } from "@hono/zod-openapi";
import { isSynthError, notFound, synthError } from "../../../shared/errors.ts";
import { proposeTrials, toStoredSpace } from "../../../shared/platform/optimization-study.ts";
import { OPTIMIZATION_METHODS } from "../../../shared/platform/job-config.ts";
import { gridPoints } from "../../../shared/tuning/grid.ts";
import {
  defaultSpaceInput,
  modelConstraints,
  parseSpace,
  spaceInputSchema,
  type Space,
} from "../../../shared/tuning/space.ts";
import { trainingRowsOf } from "../../../shared/tuning/study-result.ts";
import type { AppDeps, ApiApp, VerifiedUser } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, asService, ok, requireUser, takeRateLimit } from "../../context.ts";
import { fromInsertError, jsonb, loadOwnDataset } from "../generation/create-request.ts";
import { MODEL_OPTION_SCHEMAS } from "../generation/model-config.ts";
import { MODEL_TYPES } from "../generation/request-shape.ts";
import {
  authErrors,
  conflictError,
  notFoundError,
  rateLimitedError,
  validationErrors,
} from "../responses.ts";

/** `30m`, `90s`, `1h` or a number of seconds. */
const durationSchema = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d+(\.\d+)?(s|m|h)?$/, "a duration such as 90s, 30m or 1h, or a number of seconds")
    .transform((v) => {
      const n = Number.parseFloat(v);
      const unit = v.at(-1);
      return Math.ceil(n * (unit === "h" ? 3600 : unit === "m" ? 60 : 1));
    }),
]);

export const optimizationStartSchema = z
  .object({
    dataset_id: z.string().uuid(),
    model: z.enum(MODEL_TYPES),
    method: z.enum(OPTIMIZATION_METHODS).default("bayesian"),
    /** shared/tuning's space: the short form `{"epochs": [50, 200]}` or typed dimensions; default the model's. */
    space: spaceInputSchema.optional().openapi({
      description:
        'Per hyperparameter: [low, high] (integers when both are, log scale for positive bounds two decades apart), a list of values, or {"type": "int"|"float", "low", "high", "log"} / {"type": "categorical", "values"}; `learning_rate` sets all the model\'s learning rates. Default: the model\'s space.',
    }),
    budget: z
      .object({ trials: z.number().int().positive().max(1000).optional(), time: durationSchema.optional() })
      .strict()
      .default({}),
    objective: z.enum(["quality", "ml", "mix"]).default("quality"),
    privacy_floor: z.number().min(0).max(1).optional(),
    target: z.string().min(1).max(200).optional(),
    seed: z.number().int().min(0).max(4_294_967_295).optional(),
    /** Trials queued or running at once: how many runners can work on the study together. */
    parallelism: z.number().int().min(1).max(64).default(4),
  })
  .strict()
  .openapi("OptimizationStart", {
    example: {
      dataset_id: "00000000-0000-4000-8000-000000000000",
      model: "tvae",
      method: "bayesian",
      space: { epochs: [50, 200], batch_size: [100, 1000], learning_rate: [1e-4, 1e-2] },
      budget: { trials: 15, time: "30m" },
      objective: "quality",
      privacy_floor: 0.2,
      seed: 7,
    },
  });
type StartBody = z.infer<typeof optimizationStartSchema>;

const startedSchema = z
  .object({
    id: z.string().uuid(),
    status: z.enum(["queued", "pending_approval"]),
    trials_queued: z.number().int(),
  })
  .openapi("OptimizationStarted");

export const route = createRoute({
  method: "post",
  path: "/optimization/start",
  tags: ["optimization"],
  summary:
    "Start a hyperparameter study: grid, random or Bayesian search over a space, within a budget, under a privacy floor",
  description:
    "The first trials are queued at once (parallelism of them); runners claim them and propose the next ones as they finish. Watch GET /optimization/trials/{id} (or the optimization_trials rows over Realtime), read GET /optimization/best/{id}, stop with PUT /optimization/stop/{id}.",
  security: [{ bearer: [] }],
  request: {
    body: { required: true, content: { "application/json": { schema: optimizationStartSchema } } },
  },
  responses: {
    201: {
      description: "The study",
      content: { "application/json": { schema: envelopeOf(startedSchema) } },
    },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
    ...conflictError,
    ...rateLimitedError,
  },
});

const problem = (path: string, message: string) =>
  synthError("VALIDATION_ERROR", `${path}: ${message}`, { problems: [{ path, message }] });

/** The body's space, parsed and constrained by the training rows, with every key a hyperparameter. */
function studySpace(body: StartBody, datasetRows: number | null): Space {
  const input = body.space ?? defaultSpaceInput(body.model);
  const known = new Set(Object.keys(MODEL_OPTION_SCHEMAS[body.model].shape));
  if (body.model !== "gaussian_copula") known.add("learning_rate");
  for (const key of Object.keys(input)) {
    if (!known.has(key)) throw problem(`space.${key}`, `unknown hyperparameter of ${body.model}`);
  }
  const rows = datasetRows === null ? Number.MAX_SAFE_INTEGER : trainingRowsOf(datasetRows);
  let space: Space;
  try {
    space = parseSpace(input, modelConstraints(body.model, rows));
    // Grid refuses a space with too many points here, with the count, before any trial.
    if (body.method === "grid") gridPoints(space);
  } catch (error) {
    if (isSynthError(error, "VALIDATION_ERROR")) throw problem("space", error.message);
    throw error;
  }
  return space;
}

async function startStudy(deps: AppDeps, user: VerifiedUser, body: StartBody) {
  if (body.objective !== "quality" && body.target === undefined)
    throw problem("target", `objective ${body.objective} needs a target column (ML efficacy)`);
  await takeRateLimit(deps, user, "optimization_starts", deps.config.rateLimits.generations);
  let created: { id: string; status: string };
  try {
    created = await asCaller(deps, user, async (tx) => {
      const dataset = await loadOwnDataset(tx, user, body.dataset_id);
      if (dataset === null) throw notFound("dataset", { dataset_id: body.dataset_id });
      if (dataset.status !== "ready") {
        throw synthError("CONFLICT", `the dataset is ${dataset.status}, not ready`, {
          dataset_id: dataset.id,
          status: dataset.status,
        });
      }
      if (
        body.target !== undefined &&
        dataset.metadata !== null &&
        !dataset.metadata.columns.some((c) => c.name === body.target)
      ) {
        throw problem("target", `the dataset has no column ${body.target}`);
      }
      const space = studySpace(body, dataset.row_count);
      const objective = {
        kind: body.objective,
        ...(body.privacy_floor !== undefined ? { privacy_floor: body.privacy_floor } : {}),
        ...(body.target !== undefined ? { target: body.target } : {}),
      };
      const budget = {
        ...(body.budget.trials !== undefined ? { max_trials: body.budget.trials } : {}),
        ...(body.budget.time !== undefined ? { max_wall_time_seconds: body.budget.time } : {}),
      };
      return tx
        .insertInto("optimization_runs")
        .values({
          owner_id: user.id,
          dataset_id: dataset.id,
          model_type: body.model,
          method: body.method,
          search_space: jsonb(toStoredSpace(space)),
          budget: jsonb(budget),
          metric: { quality: "quality_overall", ml: "ml_efficacy", mix: "quality_ml_mix" }[body.objective],
          objective: jsonb(objective),
          parallelism: body.parallelism,
          seed: body.seed === undefined ? null : String(body.seed),
        })
        .returning(["id", "status"])
        .executeTakeFirstOrThrow();
    });
  } catch (error) {
    throw fromInsertError(error) ?? error;
  }
  // The first proposals (a runner's sweep would make them too, should this fail). A runner's sweep may
  // also get there first, between the insert and this call: the answer counts the run's queued trials,
  // whoever proposed them.
  const queued = await asService(deps, "api: first proposals of an optimisation study", async (tx) => {
    await proposeTrials(tx, created.id);
    const row = await tx
      .selectFrom("optimization_trials")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("run_id", "=", created.id)
      .where("status", "=", "queued")
      .executeTakeFirstOrThrow();
    return Number(row.n);
  });
  return {
    id: created.id,
    status: created.status as "queued" | "pending_approval",
    trials_queued: queued,
  };
}

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const started = await startStudy(deps, user, c.req.valid("json"));
    return ok(c, deps, started, `optimization run ${started.status}`, 201);
  });
}
