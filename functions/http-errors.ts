import { HTTPException } from "hono/http-exception";
import { isSynthError, synthError, type ErrorCode, type SynthError } from "../shared/errors.ts";

/** HTTP status of each error code the API can answer; codes not listed are a person's bad input (422). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  VALIDATION_ERROR: 400,
  INVALID_MODEL_CONFIG: 400,
  INVALID_METADATA: 400,
  UNKNOWN_COLUMN: 400,
  UNAUTHORIZED: 401,
  INVALID_TOKEN: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  ACCOUNT_DISABLED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_STATE_TRANSITION: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  FILE_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  CONFIG_ERROR: 500,
  STORAGE_ERROR: 502,
  AUTH_ADMIN_ERROR: 502,
  DB_ERROR: 503,
};

export function httpStatusOf(code: ErrorCode): number {
  return STATUS[code] ?? 422;
}

interface PgErrorLike {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  constraint_name?: string;
  table_name?: string;
  column_name?: string;
}

function isPgError(error: unknown): error is PgErrorLike {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { name?: unknown }).name === "PostgresError" &&
    typeof (error as { code?: unknown }).code === "string"
  );
}

/**
 * PostgreSQL's refusals become the API's codes. The schema's triggers raise messages written for a person
 * (limits, state machine, active jobs), so those are passed on; constraint names go into details so a client
 * can tell which rule it broke. Anything else from the database is not the caller's fault.
 */
export function fromPgError(error: unknown): SynthError | null {
  if (!isPgError(error)) return null;
  const details: Record<string, unknown> = {};
  if (error.constraint_name) details.constraint = error.constraint_name;
  if (error.column_name) details.column = error.column_name;
  if (error.hint) details.hint = error.hint;
  switch (error.code) {
    case "23514":
      if (error.message.startsWith("invalid status transition")) {
        return synthError("INVALID_STATE_TRANSITION", error.message, details, error);
      }
      return synthError("VALIDATION_ERROR", error.message, details, error);
    case "23502":
    case "22P02":
    case "22001":
    case "22003":
    case "22007":
    case "22008":
      return synthError("VALIDATION_ERROR", error.message, details, error);
    case "23505":
      return synthError("CONFLICT", "it already exists", details, error);
    case "55006":
      return synthError("CONFLICT", error.message, details, error);
    case "42501":
      return synthError("FORBIDDEN", "you are not allowed to do that", details, error);
    case "P0002":
      return synthError("NOT_FOUND", error.message, details, error);
    case "57P01":
    case "57P03":
    case "08000":
    case "08003":
    case "08006":
    case "53300":
      return synthError(
        "DB_ERROR",
        "the database is unavailable; try again shortly",
        { retryable: true },
        error,
      );
    default:
      return null;
  }
}

/**
 * Hono's own refusals (HTTPException: a malformed JSON body, a wrong Content-Type for a validated body)
 * are the caller's mistakes with a status of their own; they get the envelope and a code like ours.
 */
function fromHttpException(error: unknown): SynthError | null {
  if (!(error instanceof HTTPException)) return null;
  const code: ErrorCode | null =
    error.status === 415
      ? "UNSUPPORTED_MEDIA_TYPE"
      : error.status === 413
        ? "PAYLOAD_TOO_LARGE"
        : error.status === 401
          ? "UNAUTHORIZED"
          : error.status >= 400 && error.status < 500
            ? "VALIDATION_ERROR"
            : null;
  if (code === null) return null;
  const message =
    code === "UNSUPPORTED_MEDIA_TYPE"
      ? "this endpoint takes a different Content-Type (application/json, or multipart/form-data for uploads)"
      : error.message || "the request is malformed";
  return synthError(code, message, { status: error.status }, error);
}

/** Any thrown value as a SynthError the envelope can render, or null when it is an internal failure. */
export function toPublicError(error: unknown): SynthError | null {
  if (isSynthError(error)) return error;
  return fromPgError(error) ?? fromHttpException(error);
}
