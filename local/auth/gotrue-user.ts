import { isoTimestamp } from "../../shared/platform/timestamp.ts";
import type { AuthUserRow } from "./auth-users.ts";

/**
 * A row of auth.users as GoTrue renders it (internal/models/user.go json tags, reference/supabase-protocols.md
 * 1.3): optional timestamps are left out when null (omitempty), email and phone are "" when absent.
 */
export interface GoTrueUser {
  id: string;
  aud: string;
  role: string;
  email: string;
  phone: string;
  email_confirmed_at?: string;
  phone_confirmed_at?: string;
  confirmed_at?: string;
  invited_at?: string;
  last_sign_in_at?: string;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  identities: unknown[];
  created_at: string;
  updated_at: string;
  banned_until?: string;
  deleted_at?: string;
  is_anonymous: boolean;
}

const iso = (value: Date | null): string | undefined => (value === null ? undefined : isoTimestamp(value));

function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null || b === null) return a ?? b;
  return a.getTime() <= b.getTime() ? a : b;
}

export function toGoTrueUser(row: AuthUserRow): GoTrueUser {
  const optional: Record<string, string | undefined> = {
    email_confirmed_at: iso(row.email_confirmed_at),
    phone_confirmed_at: iso(row.phone_confirmed_at),
    // GoTrue's confirmed_at is the earlier of the two confirmations (a generated column there).
    confirmed_at: iso(earliest(row.email_confirmed_at, row.phone_confirmed_at)),
    invited_at: iso(row.invited_at),
    last_sign_in_at: iso(row.last_sign_in_at),
    banned_until: iso(row.banned_until),
    deleted_at: iso(row.deleted_at),
  };
  const present = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined));
  const epoch = new Date(0).toISOString();
  return {
    id: row.id,
    aud: row.aud ?? "",
    role: row.role ?? "",
    email: row.email ?? "",
    phone: row.phone ?? "",
    ...present,
    app_metadata: row.raw_app_meta_data ?? {},
    user_metadata: row.raw_user_meta_data ?? {},
    identities: [],
    created_at: iso(row.created_at) ?? epoch,
    updated_at: iso(row.updated_at) ?? epoch,
    is_anonymous: row.is_anonymous,
  };
}
