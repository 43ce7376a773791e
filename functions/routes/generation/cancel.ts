import { createRoute, z } from "@hono/zod-openapi";
import { forbidden, notFound, synthError } from "../../../shared/errors.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { authErrors, conflictError, notFoundError, validationErrors } from "../responses.ts";
import { jobStatusSchema } from "./request-shape.ts";
import { idParamsSchema } from "./status.ts";

const FINISHED = new Set(["succeeded", "failed", "canceled", "rejected"]);

const canceledSchema = z
  .object({ id: z.string().uuid(), status: jobStatusSchema, cancel_requested: z.literal(true) })
  .openapi("GenerationCancel");

export const route = createRoute({
  method: "delete",
  path: "/generation/requests/{id}",
  tags: ["generation"],
  summary:
    "Cancel a request: pending or queued ones are canceled at once, a running one stops within an epoch",
  description:
    "Owners only (the 'owner cancels' policy): an admin who can read the request gets 403 and rejects pending ones with POST /admin/reject/{id}. A finished request answers 409 INVALID_STATE_TRANSITION.",
  security: [{ bearer: [] }],
  request: { params: idParamsSchema },
  responses: {
    200: {
      description: "Cancel requested; status is canceled, or still running until the runner stops",
      content: { "application/json": { schema: envelopeOf(canceledSchema) } },
    },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
    ...conflictError,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const { id } = c.req.valid("param");
    const result = await asCaller(deps, user, async (tx) => {
      const row = await tx
        .selectFrom("generation_requests")
        .select(["id", "owner_id", "status"])
        .where("id", "=", id)
        .executeTakeFirst();
      if (row === undefined) throw notFound("generation request", { id });
      if (row.owner_id !== user.id) throw forbidden("only the owner may cancel a generation request");
      // Setting cancel_requested on a finished row would be accepted by the triggers and change nothing.
      if (FINISHED.has(row.status)) {
        throw synthError(
          "INVALID_STATE_TRANSITION",
          `the request is ${row.status}: there is nothing to cancel`,
          {
            id,
            status: row.status,
          },
        );
      }
      return tx
        .updateTable("generation_requests")
        .set({ cancel_requested: true })
        .where("id", "=", id)
        .returning(["id", "status"])
        .executeTakeFirstOrThrow();
    });
    return ok(
      c,
      deps,
      { id: result.id, status: result.status, cancel_requested: true as const },
      result.status === "canceled" ? "canceled" : "cancel requested: the runner stops the job",
    );
  });
}
