/**
 * PostgREST's error answer: `{code, details, hint, message}` with the status PostgREST maps to
 * (src/library/PostgREST/Error.hs). Errors of our own carry their PGRST code; database errors keep their
 * SQLSTATE and text, exactly as PostgREST forwards them.
 */
export class PgrstError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string | null = null,
    readonly hint: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "PgrstError";
  }

  body(): { code: string; details: string | null; hint: string | null; message: string } {
    return { code: this.code, details: this.details, hint: this.hint, message: this.message };
  }
}

/** PGRST100: a query parameter that does not parse, with parsec's message shape. */
export const parseError = (what: string, input: string, column: number, details: string): PgrstError =>
  new PgrstError(400, "PGRST100", `"failed to parse ${what} (${input})" (line 1, column ${column})`, details);

export const invalidBody = (message: string): PgrstError => new PgrstError(400, "PGRST102", message);

export const notImplemented = (details: string): PgrstError =>
  new PgrstError(400, "PGRST127", "Feature not implemented", details);

export const columnNotFound = (relation: string, column: string): PgrstError =>
  // What PostgreSQL answers for a select, filter or order on a missing column; PostgREST forwards it.
  new PgrstError(400, "42703", `column ${relation}.${column} does not exist`);

export const tableNotFound = (table: string): PgrstError =>
  new PgrstError(404, "PGRST205", `Could not find the table 'public.${table}' in the schema cache`);

export const payloadColumnNotFound = (relation: string, column: string): PgrstError =>
  new PgrstError(
    400,
    "PGRST204",
    `Could not find the '${column}' column of '${relation}' in the schema cache`,
  );

export const singularity = (rows: number): PgrstError =>
  new PgrstError(
    406,
    "PGRST116",
    "Cannot coerce the result to a single JSON object",
    `The result contains ${rows} rows`,
  );

/**
 * A PostgreSQL error as the drivers raise it (postgres.js: PostgresError; node-postgres, which `synth serve`
 * uses on a server: DatabaseError; the embedded PGlite: its own error with a severity), mapped as
 * PostgREST's mapSQLtoHTTP does.
 */
export function fromPostgres(error: unknown, authenticated: boolean): PgrstError | null {
  if (typeof error !== "object" || error === null) return null;
  const e = error as { code?: unknown; message?: unknown; detail?: unknown; hint?: unknown; name?: unknown };
  if (typeof e.code !== "string" || !/^[0-9A-Z]{5}$/.test(e.code) || typeof e.message !== "string")
    return null;
  const severity = (error as { severity?: unknown }).severity;
  if (e.name !== "PostgresError" && !(typeof severity === "string" && severity !== "")) return null;
  const status = pgStatus(e.code, e.message, authenticated);
  return new PgrstError(
    status,
    e.code,
    e.message,
    typeof e.detail === "string" ? e.detail : null,
    typeof e.hint === "string" ? e.hint : null,
    status === 401 ? { "www-authenticate": "Bearer" } : {},
  );
}

function pgStatus(code: string, message: string, authenticated: boolean): number {
  const exact: Record<string, number> = {
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "53400": 500,
    "57P01": 503,
    P0001: 400,
    "42P01": 404,
    "42P17": 500,
  };
  if (code in exact) return exact[code];
  if (code === "42501") return authenticated ? 403 : 401;
  if (code === "42883") return message.startsWith("function xmlagg(") ? 406 : 404;
  if (code === "21000") return message.endsWith("requires a WHERE clause") ? 400 : 500;
  if (code === "22023") return message.startsWith("role") && message.endsWith("does not exist") ? 401 : 400;
  const byClass: Record<string, number> = {
    "08": 503,
    "09": 500,
    "0L": 403,
    "0P": 403,
    "25": 500,
    "28": 403,
    "2D": 500,
    "38": 500,
    "39": 500,
    "3B": 500,
    "40": 500,
    "53": 503,
    "54": 500,
    "55": 500,
    "57": 500,
    "58": 500,
    F0: 500,
    HV: 500,
    P0: 500,
    XX: 500,
  };
  const cls = code.slice(0, 2);
  if (cls in byClass) return byClass[cls];
  if (cls === "PT") {
    const n = Number(code.slice(2));
    return n >= 100 && n <= 599 ? n : 500;
  }
  return 400;
}
