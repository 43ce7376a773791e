import { asServiceRole, asUser, type Db, type JwtClaims, type Tx } from "../../shared/platform/db.ts";
import type { RealtimeClaims } from "./realtime-token.ts";

/**
 * The roles the local Realtime reads as. Real Realtime sets any claimed role; locally only the three
 * Supabase roles exist, and each goes through the one helper that sets it (so RLS is PostgreSQL's).
 */
export const SUBSCRIBER_ROLES = ["anon", "authenticated", "service_role"] as const;
export type SubscriberRole = (typeof SUBSCRIBER_ROLES)[number];

export const isSubscriberRole = (role: string): role is SubscriberRole =>
  (SUBSCRIBER_ROLES as readonly string[]).includes(role);

/** Runs fn in one transaction as the subscriber: their role and their claims as request.jwt.claims. */
export function asSubscriber<T>(db: Db, claims: RealtimeClaims, fn: (tx: Tx) => Promise<T>): Promise<T> {
  switch (claims.role) {
    case "service_role":
      return asServiceRole(db, "local realtime: a service_role subscriber", fn);
    case "anon":
      return asUser(db, null, fn);
    case "authenticated":
      return asUser(db, claims as unknown as JwtClaims, fn);
    default:
      throw new Error(`the local Realtime does not read as role ${JSON.stringify(claims.role)}`);
  }
}
