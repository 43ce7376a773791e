import { sql } from "kysely";
import { isSynthError } from "../../shared/errors.ts";
import {
  asServiceRole,
  asUser,
  jwtClaimsSchema,
  type Db,
  type JwtClaims,
  type Tx,
} from "../../shared/platform/db.ts";
import { PgrstError } from "./pgrst-error.ts";

/**
 * Who a request runs as, decided as PostgREST decides it: the bearer's role when there is one (the
 * `Authorization` header wins over the apikey), else the apikey's own role. Then one transaction as that
 * role with request.jwt.claims set, through the helpers every other path of the platform uses.
 */
export type Identity =
  { role: "anon" } | { role: "authenticated"; claims: JwtClaims } | { role: "service_role" };

export type BearerVerifier = (token: string) => Promise<Record<string, unknown>>;

const jwtError = (code: string, message: string): PgrstError =>
  new PgrstError(401, code, message, null, null, {
    "www-authenticate": `Bearer error="invalid_token", error_description=${JSON.stringify(message)}`,
  });

export async function identify(
  authorization: string | undefined,
  apiKeyRole: "anon" | "service_role",
  verify: BearerVerifier,
): Promise<Identity> {
  const match = /^Bearer(?:\s+(.*))?$/i.exec(authorization?.trim() ?? "");
  if (!match) return { role: apiKeyRole };
  const token = (match[1] ?? "").trim();
  if (token === "") throw jwtError("PGRST301", "Empty JWT is sent in Authorization header");
  const parts = token.split(".").length;
  if (parts !== 3) throw jwtError("PGRST301", `Expected 3 parts in JWT; got ${parts}`);
  let claims: Record<string, unknown>;
  try {
    claims = await verify(token);
  } catch (error) {
    if (isSynthError(error, "TOKEN_EXPIRED")) throw jwtError("PGRST303", "JWT expired");
    if (isSynthError(error, "INTERNAL_ERROR")) throw error;
    throw jwtError("PGRST301", "JWT cryptographic operation failed");
  }
  const role = claims.role ?? "anon";
  if (role === "anon" || role === "service_role") return { role };
  if (role !== "authenticated")
    throw new PgrstError(401, "22023", `role ${JSON.stringify(String(role))} does not exist`);
  const parsed = jwtClaimsSchema.safeParse(claims);
  if (!parsed.success) throw jwtError("PGRST303", "Parsing claims failed");
  return { role: "authenticated", claims: parsed.data };
}

/**
 * One transaction as the identity: READ ONLY for reads (PostgREST's GET/HEAD and calls of non-volatile
 * functions), and a statement timeout so no request can hold a connection for long.
 */
export function asIdentity<T>(
  db: Db,
  identity: Identity,
  options: { readOnly: boolean; statementTimeoutMs: number },
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  const run = async (tx: Tx): Promise<T> => {
    if (options.readOnly) await sql`set transaction read only`.execute(tx);
    await sql`select set_config('statement_timeout', ${`${options.statementTimeoutMs}ms`}, true)`.execute(tx);
    return fn(tx);
  };
  if (identity.role === "service_role") return asServiceRole(db, "rest: service_role bearer", run);
  return asUser(db, identity.role === "anon" ? null : identity.claims, run);
}
