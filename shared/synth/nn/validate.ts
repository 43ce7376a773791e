/** Input checks shared by the neural models' fit(). */
import type { z } from "zod";
import { synthError } from "../../errors.ts";
import type { TrainingMatrix } from "../matrix-model.ts";

export function parseConfig<T extends z.ZodType>(schema: T, options: unknown, model: string): z.output<T> {
  const parsed = schema.safeParse(options ?? {});
  if (!parsed.success) {
    throw synthError(
      "INVALID_MODEL_CONFIG",
      `Invalid ${model} options: ${parsed.error.issues[0]?.message ?? ""}`,
      {
        model,
        issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      },
    );
  }
  return parsed.data;
}

export function validateMatrix(matrix: TrainingMatrix): void {
  const { rows, width, data } = matrix;
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(width) || width < 1) {
    throw synthError("VALIDATION_ERROR", "The training matrix must have at least one row and one column", {
      rows,
      width,
    });
  }
  if (data.length !== rows * width) {
    throw synthError(
      "VALIDATION_ERROR",
      `The training matrix holds ${data.length} values, not rows x width`,
      {
        rows,
        width,
        values: data.length,
      },
    );
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw synthError(
        "VALIDATION_ERROR",
        "The training matrix contains a value that is not a finite number",
        {
          row: Math.floor(i / width),
          matrixColumn: i % width,
        },
      );
    }
  }
}

export function validateRowCount(rows: number): void {
  if (!Number.isInteger(rows) || rows < 0) {
    throw synthError("VALIDATION_ERROR", "The number of rows to sample must be a non-negative integer", {
      rows,
    });
  }
}
