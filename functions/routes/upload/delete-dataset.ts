import { createRoute, z } from "@hono/zod-openapi";
import { forbidden, notFound } from "../../../shared/errors.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { authErrors, conflictError, notFoundError, validationErrors } from "../responses.ts";
import { datasetParamsSchema } from "./get-dataset.ts";

const deletedSchema = z
  .object({
    id: z.string().uuid(),
    dataset_deleted: z.literal(true),
    /** Objects removed from the datasets bucket. */
    objects_removed: z.array(z.string()),
    /** Objects that could not be removed (Storage failed after the row was gone); the owner may delete them. */
    objects_left: z.array(z.string()),
  })
  .openapi("DatasetDeleted");

export const route = createRoute({
  method: "delete",
  path: "/upload/datasets/{id}",
  tags: ["upload"],
  summary: "Delete one of your datasets and its file; refused (409) while a job on it is active",
  security: [{ bearer: [] }],
  request: { params: datasetParamsSchema },
  responses: {
    200: {
      description: "What was removed",
      content: { "application/json": { schema: envelopeOf(deletedSchema) } },
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
    // The row first: its file is immutable and undeletable while it is registered (storage policy).
    // A dataset with active jobs is refused by the datasets_before_delete trigger (object_in_use: 409).
    const deleted = await asCaller(deps, user, async (tx) => {
      const visible = await tx
        .selectFrom("datasets")
        .select(["id", "owner_id"])
        .where("id", "=", id)
        .executeTakeFirst();
      if (visible === undefined) throw notFound("the dataset", { id });
      const row = await tx
        .deleteFrom("datasets")
        .where("id", "=", id)
        .returning(["id", "storage_bucket", "storage_path"])
        .executeTakeFirst();
      // Admins may read anyone's dataset, but only its owner deletes it.
      if (row === undefined) throw forbidden("only the owner of a dataset can delete it", { id });
      return row;
    });
    const paths = [deleted.storage_path];
    let removed: string[] = [];
    try {
      removed = await deps.storage.forUser(c.get("accessToken")!).remove("datasets", paths);
    } catch (error) {
      c.get("log").log("warn", "a deleted dataset's file could not be removed", {
        dataset_id: id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    const left = paths.filter((p) => !removed.includes(p));
    return ok(
      c,
      deps,
      { id: deleted.id, dataset_deleted: true as const, objects_removed: removed, objects_left: left },
      left.length === 0
        ? "the dataset and its file are deleted"
        : "the dataset is deleted; its file could not be removed and stays in your folder",
    );
  });
}
