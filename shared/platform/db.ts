import { Kysely, sql, type Transaction } from "kysely";
import { PostgresJSDialect } from "kysely-postgres-js";
import postgres from "postgres";
import { z } from "zod";
import type { Database } from "./schema.ts";

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;

export const dbOptionsSchema = z.object({
  url: z.string().min(1),
  maxConnections: z.number().int().min(1).max(100).default(5),
  /**
   * Named prepared statements. Supabase's pooler in transaction mode (SUPABASE_DB_URL in an Edge Function,
   * port 6543) hands each transaction to any server connection, where a statement prepared on another one
   * does not exist: there it must be false.
   */
  prepare: z.boolean().default(true),
});
export type DbOptions = z.input<typeof dbOptionsSchema>;

export function createDb(options: DbOptions): Db {
  const { url, maxConnections, prepare } = dbOptionsSchema.parse(options);
  return new Kysely<Database>({
    dialect: new PostgresJSDialect({
      postgres: postgres(url, { max: maxConnections, prepare, onnotice: () => {} }),
    }),
  });
}

/** The JWT claims PostgreSQL sees, as Supabase's API passes them (request.jwt.claims). */
export const jwtClaimsSchema = z
  .object({
    sub: z.string().uuid(),
    role: z.enum(["authenticated", "anon"]),
    email: z.string().optional(),
    app_metadata: z.record(z.string(), z.unknown()).optional(),
    user_metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
export type JwtClaims = z.infer<typeof jwtClaimsSchema>;

/**
 * Runs fn in one transaction as the requesting user, exactly as PostgREST does behind Supabase: the role
 * becomes `authenticated` (or `anon` when claims is null) and the claims are visible to auth.uid() and
 * auth.jwt(), so row-level security is enforced by PostgreSQL itself.
 */
export async function asUser<T>(db: Db, claims: JwtClaims | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const role = claims === null ? "anon" : claims.role;
  const payload = claims === null ? { role: "anon" } : jwtClaimsSchema.parse(claims);
  return db.transaction().execute(async (tx) => {
    await sql`select set_config('role', ${role}, true), set_config('request.jwt.claims', ${JSON.stringify(payload)}, true)`.execute(
      tx,
    );
    return fn(tx);
  });
}

/**
 * The one named way around row-level security: the runner and admin paths run as service_role. `scope`
 * says why (it is visible to triggers and logs as synth.service_scope), so a grep for asServiceRole finds
 * every bypass.
 */
export async function asServiceRole<T>(db: Db, scope: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`select set_config('role', 'service_role', true), set_config('request.jwt.claims', ${JSON.stringify({ role: "service_role" })}, true), set_config('synth.service_scope', ${scope}, true)`.execute(
      tx,
    );
    return fn(tx);
  });
}
