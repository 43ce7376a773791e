/**
 * The one error type of synth. Every failure a person may see carries a stable code, a message written
 * for a person, and details (row, column, limits) that a client can act on. Build errors with `synthError`
 * or the small factories below rather than `new SynthError` scattered around, so codes stay consistent.
 */
export const ERROR_CODES = [
  // generic / API
  "VALIDATION_ERROR",
  "UNAUTHORIZED",
  "INVALID_TOKEN",
  "TOKEN_EXPIRED",
  "ACCOUNT_DISABLED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "RATE_LIMITED",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "INTERNAL_ERROR",
  "CONFIG_ERROR",
  // database / platform
  "DB_ERROR",
  // file storage: a Storage failure that is none of not found / forbidden / conflict (details.retryable says
  // whether trying again may help: 5xx and network failures)
  "STORAGE_ERROR",
  "AUTH_ADMIN_ERROR",
  "MIGRATION_FAILED",
  // The API's rendering of the status trigger's refusal (enforce_status_transition, e.g. cancelling a
  // finished request), which Postgres reports only as a check_violation.
  "INVALID_STATE_TRANSITION",
  // Not raised yet: the training runner, when renewing or completing a job whose lease another runner reclaimed.
  "LEASE_LOST",
  // the training runner: a job that ran past its wall-clock timeout (its worker thread is terminated), and
  // one refused before training because its estimated peak memory exceeds the runner's
  "JOB_TIMEOUT",
  "MEMORY_LIMIT",
  // data input
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
  // models
  "INVALID_MODEL_CONFIG",
  "MODEL_NOT_FITTED",
  "INVALID_ARTIFACT",
  "CONDITION_UNSATISFIABLE",
  "ABORTED",
  // metrics
  "INCOMPATIBLE_TABLES",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorDetails = Record<string, unknown> & {
  row?: number;
  column?: string;
};

export class SynthError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SynthError";
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function synthError(
  code: ErrorCode,
  message: string,
  details: ErrorDetails = {},
  cause?: unknown,
): SynthError {
  return new SynthError(code, message, details, cause === undefined ? undefined : { cause });
}

export function isSynthError(error: unknown, code?: ErrorCode): error is SynthError {
  return error instanceof SynthError && (code === undefined || error.code === code);
}

export const validationError = (message: string, details: ErrorDetails = {}): SynthError =>
  synthError("VALIDATION_ERROR", message, details);

export const notFound = (what: string, details: ErrorDetails = {}): SynthError =>
  synthError("NOT_FOUND", `${what} was not found`, details);

export const forbidden = (message: string, details: ErrorDetails = {}): SynthError =>
  synthError("FORBIDDEN", message, details);
