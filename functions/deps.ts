import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Clock } from "../shared/platform/clock.ts";
import type { Db, JwtClaims } from "../shared/platform/db.ts";
import type { Logger } from "../shared/platform/logger.ts";
import type { StoragePort } from "../shared/platform/storage.ts";
import type { ApiConfig } from "./config.ts";
import type { RequestLogSink } from "./request-log.ts";

/** The caller, as a verified access token describes them. The role comes from app_metadata only. */
export interface VerifiedUser {
  id: string;
  email?: string;
  role: "user" | "admin";
  claims: JwtClaims;
  sessionId?: string;
  expiresAt: number;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedUser>;
}

/** Supabase Auth's admin API, as far as the API needs it (erasure, disabling users). */
export interface AuthAdmin {
  deleteUser(id: string): Promise<void>;
  setBanned(id: string, banned: boolean): Promise<void>;
}

/** Everything the app needs from outside, built once by the entrypoint (Deno or Node) and passed in. */
export interface AppDeps {
  config: ApiConfig;
  db: Db;
  storage: StoragePort;
  authAdmin: AuthAdmin;
  verifier: TokenVerifier;
  clock: Clock;
  logger: Logger;
  requestLog: RequestLogSink;
}

export interface ApiEnv {
  Variables: {
    requestId: string;
    log: Logger;
    user: VerifiedUser | null;
    accessToken: string | null;
  };
}

export type ApiApp = OpenAPIHono<ApiEnv>;
