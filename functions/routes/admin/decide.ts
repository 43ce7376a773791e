import { sql, type Selectable } from "kysely";
import { isSynthError, notFound, synthError } from "../../../shared/errors.ts";
import type { Database } from "../../../shared/platform/schema.ts";
import type { AppDeps, VerifiedUser } from "../../deps.ts";
import { asCaller } from "../../context.ts";
import { fromPgError } from "../../http-errors.ts";
import { toAdminRequest, type AdminRequest } from "./request-shape.ts";

/**
 * The rule both decisions share: an unknown id is 404 and an item no longer pending 409, both read before
 * the decision function is called; a decision another admin made between the read and the call (the
 * function's "not waiting", NOT_FOUND) is 409 too, since the state, not the id, is the problem.
 */
export async function decidePending<T>(
  noun: string,
  current: { status: string } | undefined,
  decide: () => Promise<T>,
): Promise<T> {
  if (!current) throw notFound(noun);
  if (current.status !== "pending_approval") {
    throw synthError("CONFLICT", `${noun} is ${current.status}, not waiting for approval`, {
      status: current.status,
    });
  }
  try {
    return await decide();
  } catch (error) {
    const mapped = fromPgError(error);
    if (mapped && isSynthError(mapped, "NOT_FOUND")) {
      throw synthError("CONFLICT", `${noun} is no longer waiting for approval`);
    }
    throw error;
  }
}

/**
 * Approve or reject through public.decide_generation_request() as the admin: the function checks the
 * admin, refuses self-decisions (42501, so 403), updates the row and writes the admin_action_logs line in
 * the same transaction.
 */
export async function decideRequest(
  deps: AppDeps,
  admin: VerifiedUser,
  id: string,
  approve: boolean,
  reason: string | null,
): Promise<AdminRequest> {
  return asCaller(deps, admin, async (tx) => {
    const current = await tx
      .selectFrom("generation_requests")
      .select(["id", "status"])
      .where("id", "=", id)
      .executeTakeFirst();
    return decidePending("generation request", current, async () => {
      const { rows } = await sql<Selectable<Database["generation_requests"]>>`
        select * from public.decide_generation_request(${id}::uuid, ${approve}, ${reason})`.execute(tx);
      return toAdminRequest(rows[0]);
    });
  });
}
