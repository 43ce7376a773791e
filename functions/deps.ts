import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Clock } from "../shared/platform/clock.ts";
import type { AuthAdmin } from "../shared/platform/auth-admin.ts";
import type { Db } from "../shared/platform/db.ts";
import type { JwtVerifier, VerifiedUser } from "../shared/platform/jwt.ts";
import type { Logger } from "../shared/platform/logger.ts";
import type { StoragePort } from "../shared/platform/storage.ts";
import type { ApiConfig } from "./config.ts";
import type { RequestLogSink } from "./request-log.ts";

export type { VerifiedUser } from "../shared/platform/jwt.ts";
export type { JwtVerifier as TokenVerifier } from "../shared/platform/jwt.ts";
export type { AuthAdmin } from "../shared/platform/auth-admin.ts";

/** Everything the app needs from outside, built once by the entrypoint (Deno or Node) and passed in. */
export interface AppDeps {
  config: ApiConfig;
  db: Db;
  storage: StoragePort;
  authAdmin: AuthAdmin;
  verifier: JwtVerifier;
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
