import { sql, type Selectable } from "kysely";
import { isSynthError, notFound, synthError } from "../../../shared/errors.ts";
import type { Database } from "../../../shared/platform/schema.ts";
import type { AppDeps, VerifiedUser } from "../../deps.ts";
import { asCaller } from "../../context.ts";
import { fromPgError } from "../../http-errors.ts";
import { toAdminRequest, type AdminRequest } from "./request-shape.ts";

/**
 * Approve or reject through public.decide_generation_request() as the admin: the function checks the
 * admin, refuses self-decisions (42501, so 403), updates the row and writes the admin_action_logs line in
 * the same transaction. The request is read first so that an unknown id is 404 and a decided one 409.
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
    if (!current) throw notFound("generation request");
    if (current.status !== "pending_approval") {
      throw synthError("CONFLICT", `generation request is ${current.status}, not waiting for approval`, {
        status: current.status,
      });
    }
    try {
      const { rows } = await sql<Selectable<Database["generation_requests"]>>`
        select * from public.decide_generation_request(${id}::uuid, ${approve}, ${reason})`.execute(tx);
      return toAdminRequest(rows[0]);
    } catch (error) {
      // Decided by another admin between the read and the call: the state, not the id, is the problem.
      const mapped = fromPgError(error);
      if (mapped && isSynthError(mapped, "NOT_FOUND")) {
        throw synthError("CONFLICT", "generation request is no longer waiting for approval");
      }
      throw error;
    }
  });
}
