import { systemClock } from "../shared/platform/clock.ts";
import { computeDataset, type DatasetOutput } from "./compute.ts";
import { createDeadline } from "./deadline.ts";
import { datasetRowSchema, type DatasetRow, type ExecutionContext } from "./job-context.ts";
import { asJobError, notRetryable } from "./job-errors.ts";
import { runInWorker } from "./job-thread.ts";

/**
 * A dataset validation job (a file too big for the API's inline validation): download with the service
 * role, then in a worker thread the very validation the API runs inline (shared/data/validate-file.ts:
 * loadTable, profile, inferred metadata) and the file's SHA-256. The claim loop writes the answer to the
 * dataset row. A file that is not a table fails, not retryable, with the reader's code, row and column.
 */
export type DatasetValidationResult = DatasetOutput;

export async function executeDatasetValidation(
  datasetRow: DatasetRow,
  ctx: Omit<ExecutionContext, "datasetRow" | "reportProgress"> & {
    reportProgress?: ExecutionContext["reportProgress"];
  },
): Promise<DatasetValidationResult> {
  const clock = ctx.clock ?? systemClock;
  const deadline = createDeadline(ctx.limits.timeoutMs, ctx.signal, () => clock.monotonicMs());
  const log = ctx.logger?.child({ dataset_id: datasetRow.id, kind: "dataset" });
  try {
    const parsed = datasetRowSchema.safeParse(datasetRow);
    if (!parsed.success) {
      throw notRetryable("VALIDATION_ERROR", "the dataset row is not a dataset", {
        issues: parsed.error.issues.slice(0, 5),
      });
    }
    const row = parsed.data;
    if (!row.storage_path.startsWith(`${row.owner_id}/`)) {
      throw notRetryable("FORBIDDEN", "the file is not in its owner's folder: the runner does not read it", {
        path: row.storage_path.slice(0, 200),
        expected_prefix: `${row.owner_id}/`,
      });
    }
    const bytes = await deadline.race(ctx.storage.download("datasets", row.storage_path));
    const task = {
      kind: "dataset" as const,
      bytes,
      fileName: row.storage_path.slice(row.storage_path.lastIndexOf("/") + 1),
      format: row.format,
    };
    const result =
      ctx.compute === "inline"
        ? await deadline.race(computeDataset(task))
        : await runInWorker(task, {
            signal: ctx.signal,
            timeoutMs: deadline.remainingMs(),
            memoryBytes: ctx.limits.memoryBytes,
            ...(ctx.onWorker ? { onStart: ctx.onWorker } : {}),
          });
    log?.log("info", "dataset validated", { rows: result.row_count, columns: result.column_count });
    return result;
  } catch (error) {
    const failure = asJobError(error);
    log?.log("warn", "dataset validation failed", {
      code: failure.code,
      retryable: failure.details.retryable,
    });
    throw failure;
  } finally {
    deadline.dispose();
  }
}
