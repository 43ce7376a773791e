import { isSynthError, type ErrorCode } from "../../shared/errors.ts";

/**
 * Storage's error JSON (src/internal/errors/storage-error.ts `render()`): the real status in `statusCode`,
 * a Storage code, and HTTP 400 for everything below 500 (protocols 2.4), because that is what storage-js
 * and every Supabase client expect to parse.
 */
export interface StorageErrorBody {
  statusCode: string;
  code: string;
  error: string;
  message: string;
}

const BY_CODE: Partial<Record<ErrorCode, { status: number; code: string; error?: string }>> = {
  NOT_FOUND: { status: 404, code: "NoSuchKey", error: "not_found" },
  FORBIDDEN: { status: 403, code: "AccessDenied", error: "Unauthorized" },
  UNAUTHORIZED: { status: 403, code: "AccessDenied", error: "Unauthorized" },
  CONFLICT: { status: 409, code: "ResourceAlreadyExists", error: "Duplicate" },
  VALIDATION_ERROR: { status: 400, code: "InvalidKey" },
  PAYLOAD_TOO_LARGE: { status: 413, code: "EntityTooLarge", error: "Payload too large" },
  UNSUPPORTED_FORMAT: { status: 415, code: "InvalidMimeType", error: "invalid_mime_type" },
};

/** The statusCode each Storage code carries, where it differs from the SynthError code's default. */
const STATUS_OF_STORAGE_CODE: Record<string, { status: number; error?: string }> = {
  NoSuchKey: { status: 404, error: "not_found" },
  NoSuchBucket: { status: 404, error: "Bucket not found" },
  AccessDenied: { status: 403, error: "Unauthorized" },
  ResourceAlreadyExists: { status: 409, error: "Duplicate" },
  InvalidJWT: { status: 400 },
  InvalidSignature: { status: 400 },
  ExpiredToken: { status: 400 },
  InvalidKey: { status: 400 },
  InvalidRequest: { status: 400 },
  EntityTooLarge: { status: 413, error: "Payload too large" },
  InvalidMimeType: { status: 415, error: "invalid_mime_type" },
};

export function storageErrorBody(error: unknown): { httpStatus: 400 | 500; body: StorageErrorBody } {
  if (!isSynthError(error) || error.code === "STORAGE_ERROR" || error.code === "INTERNAL_ERROR") {
    // Internals stay inside: the message of an unknown failure is not for the caller.
    return {
      httpStatus: 500,
      body: { statusCode: "500", code: "InternalError", error: "internal", message: "Internal server error" },
    };
  }
  const given = typeof error.details.storageCode === "string" ? error.details.storageCode : undefined;
  const fallback = BY_CODE[error.code] ?? { status: 400, code: "InvalidRequest" };
  const code = given ?? fallback.code;
  const known = STATUS_OF_STORAGE_CODE[code] ?? fallback;
  return {
    httpStatus: 400,
    body: { statusCode: String(known.status), code, error: known.error ?? code, message: error.message },
  };
}
