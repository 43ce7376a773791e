import { randomUUID } from "node:crypto";
import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import { errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import { z } from "zod";
import { systemClock, type Clock } from "../../shared/platform/clock.ts";
import { mintAccessToken } from "../../shared/platform/jwt-mint.ts";
import {
  accountByEmail,
  accountById,
  insertAccount,
  mergeMetadata,
  updateAccount,
  type AccountChanges,
  type AccountRow,
  type AnyDb,
} from "./auth-accounts.ts";
import {
  activeToken,
  createSession,
  deleteSessions,
  lockRefreshToken,
  revokeTokenFamily,
  sessionExists,
  swapRefreshToken,
} from "./auth-sessions.ts";
import { asAuthAdmin, listAuthUsers } from "./auth-users.ts";
import { kongKeyAuth } from "../kong-key-auth.ts";
import { parseGoDuration } from "./go-duration.ts";
import { toGoTrueUser } from "./gotrue-user.ts";
import { badRequest, forbidden, GoTrueError, respondWithError, unprocessable } from "./gotrue-errors.ts";
import { hashPassword, verifyPassword } from "./password-hash.ts";

/**
 * The local Supabase Auth stand-in: the GoTrue routes auth-js calls (reference/supabase-protocols.md 1.2),
 * behind Kong's key check (1.6), with GoTrue's session JSON (1.3), access token claims (1.4) and error
 * shapes (1.5). Email sign-ups are confirmed at once (GoTrue with MAILER_AUTOCONFIRM). Refresh tokens
 * rotate; a revoked one is still honoured when it is the parent of the session's live token (the client
 * lost the answer) or within the reuse interval, and otherwise revokes the whole session's tokens
 * (internal/tokens/service.go RefreshTokenGrant).
 */
export interface AuthRoutesOptions {
  db: AnyDb;
  jwtSecret: string;
  /** e.g. http://127.0.0.1:54321; the tokens' iss is `<publicUrl>/auth/v1`. */
  publicUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  clock?: Clock;
  /** GOTRUE_JWT_EXP; 3600 as on Supabase. */
  jwtExpirySeconds?: number;
  /** GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL; 10 as the Supabase CLI configures it. */
  refreshTokenReuseIntervalSeconds?: number;
}

const ADMIN_ROLES = ["service_role", "supabase_admin"];
const MIN_PASSWORD_LENGTH = 6;
const MAX_PASSWORD_LENGTH = 1024;
// GoTrue's "ban forever" in practice is whatever the caller sends; this only caps absurd values.
const MAX_BAN_SECONDS = 1000 * 365 * 24 * 3600;
const EMAIL = z
  .string()
  .max(255)
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/);
const metadata = z.record(z.string(), z.unknown());

const signupSchema = z.object({
  email: z.string().optional(),
  phone: z.string().optional(),
  password: z.string().optional(),
  data: metadata.nullish(),
});
const passwordGrantSchema = z.object({
  email: z.string().optional(),
  phone: z.string().optional(),
  password: z.string().optional(),
});
const refreshGrantSchema = z.object({ refresh_token: z.string().optional() });
const updateUserSchema = z.object({
  email: z.string().optional(),
  phone: z.string().optional(),
  password: z.string().optional(),
  data: metadata.nullish(),
  nonce: z.string().optional(),
});
const adminUserSchema = z.object({
  id: z.string().uuid().optional(),
  aud: z.string().optional(),
  role: z.string().max(255).optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  password: z.string().optional(),
  password_hash: z.string().optional(),
  email_confirm: z.boolean().optional(),
  phone_confirm: z.boolean().optional(),
  user_metadata: metadata.nullish(),
  app_metadata: metadata.nullish(),
  ban_duration: z.string().optional(),
});
const deleteUserSchema = z.object({ should_soft_delete: z.boolean().optional() }).nullish();

interface Authenticated {
  claims: JWTPayload;
  user: AccountRow;
  sessionId: string | null;
}

const invalidCredentials = () => badRequest("invalid_credentials", "Invalid login credentials");

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw unprocessable("weak_password", `Password should be at least ${MIN_PASSWORD_LENGTH} characters.`, {
      weak_password: { reasons: ["length"] },
    });
  }
  if (password.length > MAX_PASSWORD_LENGTH) throw unprocessable("validation_failed", "Password is too long");
}

function checkEmail(email: string): string {
  if (!EMAIL.safeParse(email).success)
    throw badRequest("validation_failed", "Unable to validate email address: invalid format");
  return email.toLowerCase();
}

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);
const isBanned = (user: AccountRow, now: Date) =>
  user.banned_until !== null && user.banned_until.getTime() > now.getTime();

async function body<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const text = await c.req.text();
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch (error) {
    throw badRequest("bad_json", `Could not parse request body as JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest("validation_failed", `${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  return parsed.data;
}

function banUntil(duration: string, now: Date): Date | null {
  if (duration === "none") return null;
  const seconds = parseGoDuration(duration);
  if (seconds === null || seconds > MAX_BAN_SECONDS) {
    throw badRequest(
      "validation_failed",
      `invalid format for ban duration: time: invalid duration ${JSON.stringify(duration)}`,
    );
  }
  return new Date(now.getTime() + seconds * 1000);
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown }).code === "23505";
}

export function authRoutes(options: AuthRoutesOptions): Hono {
  const { db, jwtSecret, anonKey, serviceRoleKey } = options;
  const clock = options.clock ?? systemClock;
  const expiresIn = options.jwtExpirySeconds ?? 3600;
  const reuseIntervalMs = (options.refreshTokenReuseIntervalSeconds ?? 10) * 1000;
  const issuer = `${options.publicUrl.replace(/\/+$/, "")}/auth/v1`;
  const secretBytes = new TextEncoder().encode(jwtSecret);
  // Compared against when the email is unknown, so that a miss costs as much time as a wrong password.
  const decoyHash = hashPassword(randomUUID());

  const app = new Hono().basePath("/auth/v1");

  app.onError((error, c) => {
    if (error instanceof GoTrueError) return respondWithError(c, error);
    console.error("local auth: unexpected failure", error);
    return respondWithError(c, new GoTrueError(500, "unexpected_failure", "Unexpected failure"));
  });
  app.notFound((c) => respondWithError(c, new GoTrueError(404, "not_found", "Not Found")));

  // Kong's cors plugin runs before key-auth, so a browser's preflight (which carries no key) is answered.
  app.use(
    "*",
    cors({
      origin: "*",
      exposeHeaders: ["x-total-count", "link", "x-supabase-api-version", "x-sb-error-code"],
    }),
  );

  app.use("*", kongKeyAuth({ anonKey, serviceRoleKey }));

  const verifyBearer = async (c: Context): Promise<JWTPayload> => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (!bearer)
      throw new GoTrueError(401, "no_authorization", "This endpoint requires a valid Bearer token");
    try {
      const { payload } = await jwtVerify(bearer, secretBytes, {
        algorithms: ["HS256"],
        currentDate: clock.now(),
      });
      return payload;
    } catch (error) {
      const reason =
        error instanceof joseErrors.JWTExpired
          ? "token has invalid claims: token is expired"
          : "signature is invalid";
      throw forbidden("bad_jwt", `invalid JWT: unable to parse or verify signature, ${reason}`);
    }
  };

  // GoTrue's requireAuthentication: a user token whose user (and session, when it names one) still exist.
  const authenticate = async (c: Context): Promise<Authenticated> => {
    const claims = await verifyBearer(c);
    const sub = typeof claims.sub === "string" ? claims.sub : "";
    if (!z.string().uuid().safeParse(sub).success)
      throw forbidden("bad_jwt", "invalid claim: missing sub claim");
    const sessionClaim = typeof claims.session_id === "string" ? claims.session_id : null;
    return asAuthAdmin(db, async (tx) => {
      const user = await accountById(tx, sub);
      if (user === null) throw forbidden("user_not_found", "User from sub claim in JWT does not exist");
      if (isBanned(user, clock.now())) throw forbidden("user_banned", "User is banned");
      if (sessionClaim !== null && !(await sessionExists(tx, sessionClaim)))
        throw forbidden("session_not_found", "Session from session_id claim in JWT does not exist");
      return { claims, user, sessionId: sessionClaim };
    });
  };

  const requireAdmin = async (c: Context): Promise<void> => {
    const claims = await verifyBearer(c);
    if (typeof claims.role !== "string" || !ADMIN_ROLES.includes(claims.role))
      throw forbidden("not_admin", "User not allowed");
  };

  const sessionJson = async (user: AccountRow, sessionId: string, refreshToken: string, signedInAt: Date) => {
    const now = clock.now();
    const accessToken = await mintAccessToken(
      jwtSecret,
      {
        iss: issuer,
        sub: user.id,
        aud: user.aud || "authenticated",
        email: user.email ?? "",
        phone: user.phone ?? "",
        app_metadata: user.raw_app_meta_data ?? {},
        user_metadata: user.raw_user_meta_data ?? {},
        aal: "aal1",
        amr: [{ method: "password", timestamp: epochSeconds(signedInAt) }],
        session_id: sessionId,
        is_anonymous: user.is_anonymous,
      },
      { expiresIn, now },
    );
    return {
      access_token: accessToken,
      token_type: "bearer",
      expires_in: expiresIn,
      expires_at: epochSeconds(now) + expiresIn,
      refresh_token: refreshToken,
      user: toGoTrueUser(user),
    };
  };

  const signIn = async (c: Context, userId: string) => {
    const now = clock.now();
    const { user, session } = await asAuthAdmin(db, async (tx) => {
      const session = await createSession(tx, userId, now, c.req.header("user-agent") ?? null);
      const user = await updateAccount(tx, userId, { lastSignInAt: now }, now);
      return { user: user!, session };
    });
    return sessionJson(user, session.sessionId, session.refreshToken, now);
  };

  app.get("/health", (c) =>
    c.json({
      version: "synth-local",
      name: "GoTrue",
      description: "GoTrue is a user registration and authentication API",
    }),
  );

  app.get("/settings", (c) =>
    c.json({
      external: { anonymous_users: false, email: true, phone: false },
      disable_signup: false,
      mailer_autoconfirm: true,
      phone_autoconfirm: false,
      sms_provider: "",
      saml_enabled: false,
    }),
  );

  app.post("/signup", async (c) => {
    const params = await body(c, signupSchema);
    if (params.email === undefined || params.email === "") {
      if (params.phone) throw badRequest("phone_provider_disabled", "Phone signups are disabled");
      throw badRequest("validation_failed", "To signup, please provide your email");
    }
    const email = checkEmail(params.email);
    if (!params.password) throw badRequest("validation_failed", "Signup requires a valid password");
    checkPassword(params.password);
    const encryptedPassword = await hashPassword(params.password);
    const now = clock.now();
    const created = await asAuthAdmin(db, async (tx) => {
      if ((await accountByEmail(tx, email)) !== null) return null;
      return insertAccount(tx, {
        id: randomUUID(),
        email,
        encryptedPassword,
        emailConfirmedAt: now,
        appMetadata: { provider: "email", providers: ["email"] },
        userMetadata: params.data ?? {},
        role: "authenticated",
        now,
        bannedUntil: null,
      });
    }).catch((error: unknown) => {
      if (isUniqueViolation(error)) return null;
      throw error;
    });
    if (created === null) throw unprocessable("user_already_exists", "User already registered");
    return c.json(await signIn(c, created.id));
  });

  app.post("/token", async (c) => {
    const grant = c.req.query("grant_type");
    if (grant === "password") {
      const params = await body(c, passwordGrantSchema);
      if (!params.email) {
        if (params.phone) throw invalidCredentials();
        throw badRequest("validation_failed", "missing email or phone");
      }
      const user = await asAuthAdmin(db, (tx) => accountByEmail(tx, params.email!));
      const password = params.password ?? "";
      const matches = await verifyPassword(password, user?.encrypted_password ?? (await decoyHash));
      if (user === null || user.deleted_at !== null || !matches) throw invalidCredentials();
      if (isBanned(user, clock.now())) throw badRequest("user_banned", "User is banned");
      if (user.email_confirmed_at === null) throw badRequest("email_not_confirmed", "Email not confirmed");
      return c.json(await signIn(c, user.id));
    }
    if (grant === "refresh_token") {
      const params = await body(c, refreshGrantSchema);
      if (!params.refresh_token) throw badRequest("validation_failed", "Refresh token is required");
      return c.json(await refresh(c, params.refresh_token));
    }
    throw badRequest("invalid_credentials", "unsupported_grant_type");
  });

  const refresh = async (_c: Context, token: string) => {
    const now = clock.now();
    const outcome = await asAuthAdmin(db, async (tx) => {
      const used = await lockRefreshToken(tx, token);
      const notFound = badRequest(
        "refresh_token_not_found",
        "Invalid Refresh Token: Refresh Token Not Found",
      );
      if (used === null) return { error: notFound };
      const user = await accountById(tx, used.user_id);
      if (user === null) return { error: notFound };
      if (isBanned(user, now))
        return { error: badRequest("user_banned", "Invalid Refresh Token: User Banned") };
      if (!used.session_exists || used.session_id === null) {
        return {
          error: badRequest("session_not_found", "Invalid Refresh Token: No Valid Session Found"),
        };
      }
      let issued: string | null = null;
      if (used.revoked) {
        const active = await activeToken(tx, used.session_id);
        if (active !== null && active.parent === used.token) {
          issued = active.token;
        } else if (now.getTime() > used.updated_at.getTime() + reuseIntervalMs) {
          // Committed with the error: the family stays revoked even though the request fails.
          await revokeTokenFamily(tx, used.session_id, now);
          return {
            error: badRequest("refresh_token_already_used", "Invalid Refresh Token: Already Used"),
          };
        }
      }
      issued ??= await swapRefreshToken(tx, used, now);
      return { user, sessionId: used.session_id, issued, signedInAt: used.session_created_at ?? now };
    });
    if ("error" in outcome) throw outcome.error;
    return sessionJson(outcome.user, outcome.sessionId, outcome.issued, outcome.signedInAt);
  };

  app.get("/user", async (c) => {
    const { user } = await authenticate(c);
    return c.json(toGoTrueUser(user));
  });

  app.put("/user", async (c) => {
    const { user, sessionId } = await authenticate(c);
    const params = await body(c, updateUserSchema);
    if (params.phone) throw unprocessable("validation_failed", "Phone changes are not supported locally");
    const changes: AccountChanges = {};
    if (params.password !== undefined) {
      checkPassword(params.password);
      if (await verifyPassword(params.password, user.encrypted_password))
        throw unprocessable("same_password", "New password should be different from the old password.");
      changes.encryptedPassword = await hashPassword(params.password);
    }
    if (params.email !== undefined && params.email.toLowerCase() !== (user.email ?? "")) {
      changes.email = checkEmail(params.email);
      // With autoconfirm GoTrue applies the change at once.
      changes.emailConfirmedAt = clock.now();
    }
    const now = clock.now();
    const updated = await asAuthAdmin(db, async (tx) => {
      const current = await accountById(tx, user.id, true);
      if (current === null) throw forbidden("user_not_found", "User from sub claim in JWT does not exist");
      if (changes.email !== undefined) {
        const other = await accountByEmail(tx, changes.email);
        if (other !== null && other.id !== user.id)
          throw unprocessable("email_exists", "A user with this email address has already been registered");
      }
      if (params.data) changes.userMetadata = mergeMetadata(current.raw_user_meta_data, params.data);
      const row = await updateAccount(tx, user.id, changes, now);
      // GoTrue's UpdatePassword: a new password signs out every other session.
      if (changes.encryptedPassword !== undefined) await deleteSessions(tx, user.id, "others", sessionId);
      return row!;
    }).catch((error: unknown) => {
      if (isUniqueViolation(error))
        throw unprocessable("email_exists", "A user with this email address has already been registered");
      throw error;
    });
    return c.json(toGoTrueUser(updated));
  });

  app.post("/logout", async (c) => {
    const scope = c.req.query("scope") ?? "global";
    if (scope !== "global" && scope !== "local" && scope !== "others")
      throw badRequest("validation_failed", `Unsupported logout scope ${JSON.stringify(scope)}`);
    const { user, sessionId } = await authenticate(c);
    await asAuthAdmin(db, (tx) => deleteSessions(tx, user.id, scope, sessionId));
    return c.body(null, 204);
  });

  // Admin --------------------------------------------------------------------------------------------------
  app.use("/admin/*", async (c, next) => {
    await requireAdmin(c);
    await next();
  });

  app.get("/admin/users", async (c) => {
    const int = (value: string | undefined, fallback: number) =>
      value === undefined || value === "" ? fallback : /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
    const page = int(c.req.query("page"), 1);
    const perPage = int(c.req.query("per_page"), 50);
    if (!(page >= 1) || !(perPage >= 1)) throw badRequest("validation_failed", "Bad Pagination Parameters");
    const { rows, total } = await listAuthUsers(db, page, perPage);
    // pagination.go: next only while there are more pages, last always; page= first for auth-js's parser.
    const last = Math.ceil(total / perPage);
    const link = (p: number, rel: string) => `</admin/users?page=${p}&per_page=${perPage}>; rel="${rel}"`;
    c.header("link", [...(last > page ? [link(page + 1, "next")] : []), link(last, "last")].join(", "));
    c.header("x-total-count", String(total));
    return c.json({ users: rows.map(toGoTrueUser), aud: "authenticated" });
  });

  app.post("/admin/users", async (c) => {
    const params = await body(c, adminUserSchema);
    if (params.phone) throw badRequest("validation_failed", "Phone users are not supported locally");
    if (params.password_hash)
      throw badRequest("validation_failed", "Importing password hashes is not supported locally");
    if (!params.email)
      throw badRequest("validation_failed", "Unable to validate email address: invalid format");
    const email = checkEmail(params.email);
    if (params.password !== undefined) checkPassword(params.password);
    const encryptedPassword = params.password === undefined ? null : await hashPassword(params.password);
    const now = clock.now();
    const created = await asAuthAdmin(db, async (tx) => {
      if ((await accountByEmail(tx, email)) !== null) return null;
      return insertAccount(tx, {
        id: params.id ?? randomUUID(),
        email,
        encryptedPassword,
        emailConfirmedAt: params.email_confirm ? now : null,
        appMetadata: mergeMetadata({ provider: "email", providers: ["email"] }, params.app_metadata ?? {}),
        userMetadata: mergeMetadata({}, params.user_metadata ?? {}),
        role: params.role ?? "authenticated",
        now,
        bannedUntil: params.ban_duration === undefined ? null : banUntil(params.ban_duration, now),
      });
    }).catch((error: unknown) => {
      if (isUniqueViolation(error)) return null;
      throw error;
    });
    if (created === null)
      throw unprocessable("email_exists", "A user with this email address has already been registered");
    return c.json(toGoTrueUser(created));
  });

  const userId = (c: Context): string => {
    const id = c.req.param("id") ?? "";
    if (!z.string().uuid().safeParse(id).success)
      throw badRequest("validation_failed", "user_id must be an UUID");
    return id;
  };
  const userNotFound = () => new GoTrueError(404, "user_not_found", "User not found");

  app.get("/admin/users/:id", async (c) => {
    const user = await asAuthAdmin(db, (tx) => accountById(tx, userId(c)));
    if (user === null) throw userNotFound();
    return c.json(toGoTrueUser(user));
  });

  app.put("/admin/users/:id", async (c) => {
    const id = userId(c);
    const params = await body(c, adminUserSchema);
    if (params.phone) throw badRequest("validation_failed", "Phone users are not supported locally");
    const now = clock.now();
    const changes: AccountChanges = {};
    if (params.password !== undefined) {
      checkPassword(params.password);
      changes.encryptedPassword = await hashPassword(params.password);
    }
    if (params.email !== undefined) changes.email = checkEmail(params.email);
    if (params.role !== undefined) changes.role = params.role;
    if (params.ban_duration !== undefined) changes.bannedUntil = banUntil(params.ban_duration, now);
    const updated = await asAuthAdmin(db, async (tx) => {
      const current = await accountById(tx, id, true);
      if (current === null) throw userNotFound();
      if (changes.email !== undefined) {
        const other = await accountByEmail(tx, changes.email);
        if (other !== null && other.id !== id)
          throw unprocessable("email_exists", "A user with this email address has already been registered");
      }
      if (params.email_confirm === true && current.email_confirmed_at === null)
        changes.emailConfirmedAt = now;
      if (params.app_metadata)
        changes.appMetadata = mergeMetadata(current.raw_app_meta_data, params.app_metadata);
      if (params.user_metadata)
        changes.userMetadata = mergeMetadata(current.raw_user_meta_data, params.user_metadata);
      return (await updateAccount(tx, id, changes, now))!;
    });
    return c.json(toGoTrueUser(updated));
  });

  app.delete("/admin/users/:id", async (c) => {
    const id = userId(c);
    const params = await body(c, deleteUserSchema);
    await asAuthAdmin(db, async (tx) => {
      const current = await accountById(tx, id, true);
      if (current === null) throw userNotFound();
      if (params?.should_soft_delete) {
        // GoTrue's SoftDeleteUser: the row stays (foreign keys hold) but can never sign in again.
        await deleteSessions(tx, id, "global", null);
        const now = clock.now();
        await updateAccount(
          tx,
          id,
          { encryptedPassword: "", email: `${id}@deleted.invalid`, deletedAt: now },
          now,
        );
      } else {
        await tx.deleteFrom("auth.users").where("id", "=", id).execute();
      }
    });
    return c.json({});
  });

  return app;
}
