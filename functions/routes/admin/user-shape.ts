import { z } from "@hono/zod-openapi";
import { sql } from "kysely";
import type { Tx } from "../../../shared/platform/db.ts";
import { toCount } from "../paging.ts";
import { iso } from "../users/profile-shape.ts";

export const adminUserSchema = z
  .object({
    id: z.string().uuid(),
    email: z.string().nullable(),
    role: z.enum(["user", "admin"]).openapi({ description: "From app_metadata.role" }),
    created_at: z.string().nullable(),
    last_sign_in_at: z.string().nullable(),
    banned_until: z.string().nullable(),
    disabled: z.boolean().openapi({ description: "banned_until is in the future" }),
    deleted_at: z.string().nullable(),
    datasets: z.number().int(),
    jobs: z.number().int().openapi({ description: "Generation requests" }),
  })
  .openapi("AdminUser");
export type AdminUser = z.infer<typeof adminUserSchema>;

interface AdminUserRow {
  id: string;
  email: string | null;
  role: string;
  created_at: Date | null;
  last_sign_in_at: Date | null;
  banned_until: Date | null;
  disabled: boolean;
  deleted_at: Date | null;
  datasets: string;
  jobs: string;
  total: string;
}

/**
 * Accounts through public.admin_users() (security definer: auth.users is not readable by authenticated;
 * the function checks that the caller is an active admin).
 */
export async function selectAdminUsers(
  tx: Tx,
  window: { limit: number; offset: number },
  onlyUser: string | null = null,
): Promise<{ users: AdminUser[]; total: number }> {
  const { rows } = await sql<AdminUserRow>`
    select * from public.admin_users(${window.limit}::integer, ${window.offset}::integer, ${onlyUser}::uuid)`.execute(
    tx,
  );
  return {
    users: rows.map((r) => ({
      id: r.id,
      email: r.email,
      role: r.role === "admin" ? "admin" : "user",
      created_at: iso(r.created_at),
      last_sign_in_at: iso(r.last_sign_in_at),
      banned_until: iso(r.banned_until),
      disabled: r.disabled,
      deleted_at: iso(r.deleted_at),
      datasets: toCount(r.datasets),
      jobs: toCount(r.jobs),
    })),
    total: toCount(rows[0]?.total),
  };
}
