import { z } from "zod";
import { isSynthError, synthError, type SynthError } from "../errors.ts";
import {
  BAN_FOREVER,
  parseListUsersOptions,
  parseUserId,
  UNBAN,
  type AuthAdmin,
  type AuthUser,
} from "./auth-admin.ts";

/**
 * The auth admin port over Supabase Auth's HTTP admin API (GoTrue behind the gateway at
 * `<SUPABASE_URL>/auth/v1/admin/users`), the calls auth-js's GoTrueAdminApi makes
 * (reference/supabase-protocols.md 1.2, 1.5).
 */

/** The one way the adapter calls fetch; the global fetch fits, and so does a Hono app's `fetch` wrapped. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export const goTrueAdminOptionsSchema = z.object({
  /** SUPABASE_URL, e.g. https://<ref>.supabase.co */
  url: z.string().url(),
  serviceRoleKey: z.string().min(1),
  fetch: z.custom<FetchLike>((value) => typeof value === "function").optional(),
  timeoutMs: z.number().int().min(1).default(10_000),
});
export type GoTrueAdminOptions = z.input<typeof goTrueAdminOptionsSchema>;

const goTrueUserSchema = z
  .object({
    id: z.string().uuid(),
    email: z.string().nullish(),
    banned_until: z.string().nullish(),
    app_metadata: z.record(z.string(), z.unknown()).nullish(),
  })
  .passthrough();

const listResponseSchema = z.object({ users: z.array(goTrueUserSchema) }).passthrough();

const toAuthUser = (user: z.infer<typeof goTrueUserSchema>): AuthUser => ({
  id: user.id,
  // GoTrue renders a missing email as "".
  email: user.email ? user.email : null,
  bannedUntil: user.banned_until ?? null,
  appMetadata: user.app_metadata ?? {},
});

const FORBIDDEN_CODES = new Set(["not_admin", "no_authorization", "bad_jwt"]);

/** Both error shapes: `{code, message}` (API version 2024-01-01) and the older `{code: 404, error_code, msg}`. */
async function responseError(response: Response, what: string): Promise<SynthError> {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = await response.json();
    if (parsed !== null && typeof parsed === "object") body = parsed as Record<string, unknown>;
  } catch {
    // A gateway's HTML error page: the status says enough.
  }
  const authCode =
    typeof body.code === "string"
      ? body.code
      : typeof body.error_code === "string"
        ? body.error_code
        : (response.headers.get("x-sb-error-code") ?? undefined);
  const text = [body.msg, body.message, body.error_description, body.error].find(
    (v) => typeof v === "string",
  );
  const message = typeof text === "string" ? text : `HTTP ${response.status}`;
  const details = { status: response.status, ...(authCode === undefined ? {} : { authCode }) };
  if (response.status === 404 || authCode === "user_not_found") {
    return synthError("NOT_FOUND", `${what}: the user was not found`, details);
  }
  if (
    response.status === 401 ||
    response.status === 403 ||
    (authCode !== undefined && FORBIDDEN_CODES.has(authCode))
  ) {
    return synthError(
      "FORBIDDEN",
      `${what}: Supabase Auth refused the service credentials (${message})`,
      details,
    );
  }
  return synthError(
    "AUTH_ADMIN_ERROR",
    `${what}: Supabase Auth answered ${response.status} (${message})`,
    details,
  );
}

export function createGoTrueAdmin(options: GoTrueAdminOptions): AuthAdmin {
  const o = goTrueAdminOptionsSchema.parse(options);
  const base = `${o.url.replace(/\/+$/, "")}/auth/v1/admin/users`;
  const doFetch: FetchLike = o.fetch ?? ((url, init) => fetch(url, init));

  async function call(what: string, method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {
      apikey: o.serviceRoleKey,
      authorization: `Bearer ${o.serviceRoleKey}`,
      accept: "application/json",
      // As auth-js does: the server then answers errors as {code, message}.
      "x-supabase-api-version": "2024-01-01",
    };
    if (body !== undefined) headers["content-type"] = "application/json;charset=UTF-8";
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (error) {
      throw synthError(
        "AUTH_ADMIN_ERROR",
        `${what}: Supabase Auth could not be reached`,
        { url: base },
        error,
      );
    }
    if (!response.ok) throw await responseError(response, what);
    return response;
  }

  async function json<T>(what: string, response: Response, schema: z.ZodType<T>): Promise<T> {
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) {
      throw synthError(
        "AUTH_ADMIN_ERROR",
        `${what}: Supabase Auth's answer is not what its admin API returns`,
        {
          issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
        },
      );
    }
    return parsed.data;
  }

  return {
    async deleteUser(id) {
      const uid = parseUserId(id);
      const response = await call("deleting a user", "DELETE", `/${uid}`, { should_soft_delete: false });
      await response.body?.cancel();
    },

    async setBanned(id, banned) {
      const uid = parseUserId(id);
      const response = await call(banned ? "banning a user" : "unbanning a user", "PUT", `/${uid}`, {
        ban_duration: banned ? BAN_FOREVER : UNBAN,
      });
      await response.body?.cancel();
    },

    async getUser(id) {
      const uid = parseUserId(id);
      try {
        const response = await call("reading a user", "GET", `/${uid}`);
        return toAuthUser(await json("reading a user", response, goTrueUserSchema));
      } catch (error) {
        if (isSynthError(error, "NOT_FOUND")) return null;
        throw error;
      }
    },

    async listUsers(options = {}) {
      const { page, perPage } = parseListUsersOptions(options);
      const response = await call("listing users", "GET", `?page=${page}&per_page=${perPage}`);
      const totalHeader = response.headers.get("x-total-count");
      const body = await json("listing users", response, listResponseSchema);
      const total = totalHeader === null ? Number.NaN : Number(totalHeader);
      if (!Number.isSafeInteger(total) || total < 0) {
        throw synthError(
          "AUTH_ADMIN_ERROR",
          "listing users: Supabase Auth sent no usable X-Total-Count header",
          {
            header: totalHeader,
          },
        );
      }
      return { users: body.users.map(toAuthUser), total };
    },
  };
}
