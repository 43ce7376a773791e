import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { jwtVerify } from "jose";
import type { Kysely } from "kysely";
import { z } from "zod";
import { isSynthError } from "../../shared/errors.ts";
import { createPgAuthAdmin } from "../../local/auth/pg-auth-admin.ts";
import { listAuthUsers, readAuthUser, setBannedFor } from "../../local/auth/auth-users.ts";
import { toGoTrueUser } from "../../local/auth/gotrue-user.ts";

/**
 * The four GoTrue admin routes the auth admin port calls, behind the key check Kong does, with GoTrue's
 * status codes, bodies and headers (reference/supabase-protocols.md 1.2, 1.5, 1.6), on top of the
 * PostgreSQL adapter. It lets the HTTP adapter be exercised end to end over a real socket.
 */

export interface GoTrueAdminServerOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>;
  jwtSecret: string;
  /** Answer errors in the pre-2024 shape whatever the client asks for, as an older GoTrue does. */
  legacyErrors?: boolean;
}

export interface GoTrueAdminServer {
  url: string;
  requests: { method: string; path: string; headers: Record<string, string>; body: string }[];
  close(): Promise<void>;
}

const ADMIN_ROLES = ["service_role", "supabase_admin"];
const API_VERSION = "2024-01-01";

/** Go's time.ParseDuration for what a ban_duration is in practice: a sequence of <number><h|m|s>. */
function parseGoDuration(text: string): number | null {
  if (!/^(\d+(\.\d+)?(h|m|s))+$/.test(text)) return null;
  let seconds = 0;
  for (const [, n, , unit] of text.matchAll(/(\d+(\.\d+)?)(h|m|s)/g)) {
    seconds += Number(n) * (unit === "h" ? 3600 : unit === "m" ? 60 : 1);
  }
  return seconds;
}

export async function startGoTrueAdminServer(options: GoTrueAdminServerOptions): Promise<GoTrueAdminServer> {
  const secret = new TextEncoder().encode(options.jwtSecret);
  const adapter = createPgAuthAdmin(options.db);
  const requests: GoTrueAdminServer["requests"] = [];
  const app = new Hono();

  const fail = (c: Context, status: 400 | 401 | 403 | 404 | 422 | 500, code: string, message: string) => {
    const modern = !options.legacyErrors && (c.req.header("x-supabase-api-version") ?? "") >= API_VERSION;
    if (!modern) return c.json({ code: status, error_code: code, msg: message }, status);
    c.header("x-supabase-api-version", API_VERSION);
    c.header("x-sb-error-code", code);
    return c.json({ code, message }, status);
  };

  const role = async (token: string | undefined): Promise<string | null> => {
    if (!token) return null;
    try {
      const { payload } = await jwtVerify(token, secret, { algorithms: ["HS256"] });
      return typeof payload.role === "string" ? payload.role : null;
    } catch {
      return null;
    }
  };

  app.use("*", async (c, next) => {
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, key) => {
      headers[key] = value;
    });
    requests.push({
      method: c.req.method,
      path: new URL(c.req.url).pathname + new URL(c.req.url).search,
      headers,
      body: c.req.method === "GET" ? "" : await c.req.raw.clone().text(),
    });
    // Kong's key-auth: the apikey must be one of the project's keys.
    const apikey = c.req.header("apikey");
    if (!apikey) return c.json({ message: "No API key found in request" }, 401);
    const keyRole = await role(apikey);
    if (keyRole !== "anon" && keyRole !== "service_role") {
      return c.json({ message: "Invalid authentication credentials" }, 401);
    }
    // GoTrue's requireAdmin.
    const bearer = /^Bearer (\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (!bearer) return fail(c, 401, "no_authorization", "This endpoint requires a valid Bearer token");
    const bearerRole = await role(bearer);
    if (bearerRole === null) {
      return fail(
        c,
        403,
        "bad_jwt",
        "invalid JWT: unable to parse or verify signature, signature is invalid",
      );
    }
    if (!ADMIN_ROLES.includes(bearerRole)) return fail(c, 403, "not_admin", "User not allowed");
    return next();
  });

  app.get("/auth/v1/admin/users", async (c) => {
    const int = (value: string | undefined, fallback: number) =>
      value ? Number.parseInt(value, 10) : fallback;
    const page = int(c.req.query("page"), 1);
    const perPage = int(c.req.query("per_page"), 50);
    if (!(page >= 1) || !(perPage >= 1))
      return fail(c, 400, "validation_failed", "Bad Pagination Parameters");
    const { rows, total } = await listAuthUsers(options.db, page, perPage);
    c.header("x-total-count", String(total));
    const last = Math.max(1, Math.ceil(total / perPage));
    const link = (p: number, rel: string) => `</admin/users?page=${p}&per_page=${perPage}>; rel="${rel}"`;
    c.header("link", [...(page < last ? [link(page + 1, "next")] : []), link(last, "last")].join(", "));
    return c.json({ users: rows.map(toGoTrueUser), aud: "authenticated" });
  });

  const loadUser = async (c: Context) => {
    const id = c.req.param("id") ?? "";
    if (!z.string().uuid().safeParse(id).success) {
      return { error: fail(c, 400, "validation_failed", "user_id must be an UUID") } as const;
    }
    const row = await readAuthUser(options.db, id);
    if (row === null) return { error: fail(c, 404, "user_not_found", "User not found") } as const;
    return { row } as const;
  };

  app.get("/auth/v1/admin/users/:id", async (c) => {
    const loaded = await loadUser(c);
    return "error" in loaded ? loaded.error : c.json(toGoTrueUser(loaded.row));
  });

  app.put("/auth/v1/admin/users/:id", async (c) => {
    const loaded = await loadUser(c);
    if ("error" in loaded) return loaded.error;
    const body = (await c.req.json().catch(() => null)) as { ban_duration?: unknown } | null;
    if (body === null) return fail(c, 400, "bad_json", "Could not read request body");
    if (body.ban_duration !== undefined) {
      const duration = body.ban_duration;
      const seconds =
        duration === "none" ? null : typeof duration === "string" ? parseGoDuration(duration) : null;
      if (duration !== "none" && seconds === null) {
        return fail(c, 400, "validation_failed", "invalid format for ban duration: time: invalid duration");
      }
      await setBannedFor(options.db, loaded.row.id, seconds);
    }
    const row = await readAuthUser(options.db, loaded.row.id);
    return c.json(toGoTrueUser(row!));
  });

  app.delete("/auth/v1/admin/users/:id", async (c) => {
    const loaded = await loadUser(c);
    if ("error" in loaded) return loaded.error;
    try {
      await adapter.deleteUser(loaded.row.id);
    } catch (error) {
      if (isSynthError(error, "NOT_FOUND")) return fail(c, 404, "user_not_found", "User not found");
      return fail(c, 500, "unexpected_failure", "Database error deleting user");
    }
    return c.json({});
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
