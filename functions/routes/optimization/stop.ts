import { createRoute, z } from "@hono/zod-openapi";
import { synthError } from "../../../shared/errors.ts";
import type { Tx } from "../../../shared/platform/db.ts";
import { JOB_STATUSES } from "../../../shared/platform/schema.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, asService, ok, requireUser } from "../../context.ts";
import { idParamsSchema } from "../generation/status.ts";
import { authErrors, conflictError, notFoundError, validationErrors } from "../responses.ts";
import { loadRun } from "./run-shape.ts";

const FINISHED = new Set(["succeeded", "failed", "canceled", "rejected"]);

const stoppedSchema = z
  .object({
    id: z.string().uuid(),
    status: z.enum(JOB_STATUSES),
    cancel_requested: z.literal(true),
    /** Trials still running: their runners stop them (within an epoch); then the run is canceled. */
    trials_running: z.number().int(),
  })
  .openapi("OptimizationStopped");

export const route = createRoute({
  method: "put",
  path: "/optimization/stop/{id}",
  tags: ["optimization"],
  summary:
    "Stop a study: queued trials are canceled, running ones aborted by their runners; the best so far stays",
  description:
    "The owner, or an admin (who may stop any run). A finished run answers 409 INVALID_STATE_TRANSITION.",
  security: [{ bearer: [] }],
  request: { params: idParamsSchema },
  responses: {
    200: {
      description: "Stop requested; status is canceled, or running until the running trials have stopped",
      content: { "application/json": { schema: envelopeOf(stoppedSchema) } },
    },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
    ...conflictError,
  },
});

/** cancel_requested on the run; the database's trigger stops its trials (20261202004000). */
async function requestStop(tx: Tx, id: string) {
  await tx.updateTable("optimization_runs").set({ cancel_requested: true }).where("id", "=", id).execute();
  const run = await tx
    .selectFrom("optimization_runs")
    .select(["id", "status"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  const running = await tx
    .selectFrom("optimization_trials")
    .select(({ fn }) => fn.countAll<string>().as("n"))
    .where("run_id", "=", id)
    .where("status", "=", "running")
    .executeTakeFirstOrThrow();
  return {
    id: run.id,
    status: run.status,
    cancel_requested: true as const,
    trials_running: Number(running.n),
  };
}

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const { id } = c.req.valid("param");
    const stopped = await asCaller(deps, user, async (tx) => {
      const run = await loadRun(tx, id);
      if (FINISHED.has(run.status)) {
        throw synthError("INVALID_STATE_TRANSITION", `the run is ${run.status}: there is nothing to stop`, {
          id,
          status: run.status,
        });
      }
      if (run.owner_id === user.id) return requestStop(tx, id);
      return null;
    });
    // An admin who is not the owner (RLS let them read it): the owners-only update policy is bypassed, named.
    const result =
      stopped ??
      (await asService(deps, `admin ${user.id} stops optimisation run ${id}`, (tx) => requestStop(tx, id)));
    return ok(
      c,
      deps,
      result,
      result.status === "canceled" ? "canceled" : "stop requested: the runners stop the running trials",
    );
  });
}
