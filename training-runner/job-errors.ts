import { isSynthError, synthError, type ErrorCode, type SynthError } from "../shared/errors.ts";

/**
 * Every failure of a job leaves the executor as a SynthError whose `details.retryable` tells the claim loop
 * whether `fail_job` should schedule another attempt: storage and database hiccups may pass, bad data,
 * bad configuration, a cancel, a timeout or a memory refusal will not.
 */
const NOT_RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "VALIDATION_ERROR",
  "FORBIDDEN",
  "NOT_FOUND",
  "UNAUTHORIZED",
  "CONFIG_ERROR",
  "EMPTY_FILE",
  "HEADER_ONLY",
  "EMPTY_COLUMN_NAME",
  "DUPLICATE_COLUMN_NAME",
  "RAGGED_ROW",
  "TOO_MANY_COLUMNS",
  "TOO_MANY_ROWS",
  "FILE_TOO_LARGE",
  "FIELD_TOO_LARGE",
  "UNSUPPORTED_FORMAT",
  "FORMAT_MISMATCH",
  "INVALID_ENCODING",
  "CORRUPT_FILE",
  "ZIP_BOMB",
  "NESTING_TOO_DEEP",
  "INVALID_NUMBER",
  "INVALID_METADATA",
  "UNKNOWN_COLUMN",
  "INVALID_MODEL_CONFIG",
  "INVALID_ARTIFACT",
  "CONDITION_UNSATISFIABLE",
  "ABORTED",
  "INCOMPATIBLE_TABLES",
  "JOB_TIMEOUT",
  "MEMORY_LIMIT",
  "PAYLOAD_TOO_LARGE",
  "CONFLICT",
]);

/** Whether another attempt may succeed; an explicit `details.retryable` (Storage sets it) wins. */
export function isRetryable(error: SynthError): boolean {
  const given = error.details.retryable;
  if (typeof given === "boolean") return given;
  return !NOT_RETRYABLE.has(error.code);
}

/**
 * The error as the executor throws it. Anything that is not a SynthError is a bug or an environment
 * failure (a crashed worker, a wasm fault): INTERNAL_ERROR, retryable, since max_attempts bounds the cost.
 */
export function asJobError(error: unknown): SynthError {
  if (isSynthError(error)) {
    if (typeof error.details.retryable === "boolean") return error;
    return synthError(error.code, error.message, { ...error.details, retryable: isRetryable(error) }, error);
  }
  const message = error instanceof Error ? error.message : String(error);
  return synthError("INTERNAL_ERROR", `the job failed unexpectedly: ${message}`, { retryable: true }, error);
}

export const notRetryable = (code: ErrorCode, message: string, details: Record<string, unknown> = {}) =>
  synthError(code, message, { ...details, retryable: false });
