import { sql, type Selectable } from "kysely";
import { proposeTrials } from "../../../shared/platform/optimization-study.ts";
import type { Database } from "../../../shared/platform/schema.ts";
import type { AppDeps, VerifiedUser } from "../../deps.ts";
import { asCaller, asService } from "../../context.ts";
import { toRunSummary, type runSummarySchema } from "../optimization/run-shape.ts";
import { decidePending } from "./decide.ts";
import type { z } from "@hono/zod-openapi";

/**
 * Approve or reject a study through public.decide_optimization_run() as the admin (the function checks
 * the admin, refuses self-decisions, updates the run and logs in one transaction), under decide.ts's
 * decidePending rule. An approved study gets its first trials proposed at once, as POST
 * /optimization/start does for a study that needs no approval (a runner's sweep would propose them too).
 */
export async function decideStudy(
  deps: AppDeps,
  admin: VerifiedUser,
  id: string,
  approve: boolean,
  reason: string | null,
): Promise<z.infer<typeof runSummarySchema>> {
  const decided = await asCaller(deps, admin, async (tx) => {
    const current = await tx
      .selectFrom("optimization_runs")
      .select(["id", "status"])
      .where("id", "=", id)
      .executeTakeFirst();
    return decidePending("optimization run", current, async () => {
      const { rows } = await sql<Selectable<Database["optimization_runs"]>>`
        select * from public.decide_optimization_run(${id}::uuid, ${approve}, ${reason})`.execute(tx);
      return rows[0];
    });
  });
  if (!approve) return toRunSummary(decided);
  const proposed = await asService(
    deps,
    "api: first proposals of an approved optimisation study",
    async (tx) => {
      await proposeTrials(tx, id);
      return tx.selectFrom("optimization_runs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    },
  );
  return toRunSummary(proposed);
}
