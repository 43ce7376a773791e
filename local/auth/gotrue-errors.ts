import type { Context } from "hono";

/**
 * GoTrue's HTTPError and how it is rendered (reference/supabase-protocols.md 1.5, internal/api/errors.go): a
 * client that sends `X-Supabase-Api-Version: 2024-01-01` or later gets `{code, message}` with the header
 * echoed (auth-js reads `code` as the error code only when it sees that header); any other client gets the
 * legacy `{code: <status>, error_code, msg}`. `x-sb-error-code` is set either way.
 */
export type AuthErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 422 | 429 | 500;

export class GoTrueError extends Error {
  constructor(
    readonly status: AuthErrorStatus,
    readonly errorCode: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "GoTrueError";
  }
}

export const API_VERSION = "2024-01-01";
const VERSION_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export function respondWithError(c: Context, error: GoTrueError): Response {
  const asked = c.req.header("x-supabase-api-version") ?? "";
  const modern = VERSION_PATTERN.test(asked) && asked >= API_VERSION;
  c.header("x-sb-error-code", error.errorCode);
  if (modern) {
    c.header("x-supabase-api-version", API_VERSION);
    return c.json({ code: error.errorCode, message: error.message, ...error.extra }, error.status);
  }
  return c.json(
    { code: error.status, error_code: error.errorCode, msg: error.message, ...error.extra },
    error.status,
  );
}

export const badRequest = (code: string, message: string) => new GoTrueError(400, code, message);
export const unprocessable = (code: string, message: string, extra?: Record<string, unknown>) =>
  new GoTrueError(422, code, message, extra);
export const forbidden = (code: string, message: string) => new GoTrueError(403, code, message);
