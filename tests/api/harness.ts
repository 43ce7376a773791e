import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as jose from "jose";
import postgres from "postgres";
import { inject } from "vitest";
import { createApp } from "../../functions/app.ts";
import { loadApiConfig, type ApiConfig } from "../../functions/config.ts";
import type { AppDeps, AuthAdmin } from "../../functions/deps.ts";
import { createRequestLogWriter } from "../../functions/request-log.ts";
import { systemClock } from "../../shared/platform/clock.ts";
import { createDb, type Db } from "../../shared/platform/db.ts";
import { createJwtVerifier } from "../../shared/platform/jwt.ts";
import { createLogger } from "../../shared/platform/logger.ts";
import type { StoragePort } from "../../shared/platform/storage.ts";
import { createPgAuthAdmin } from "../../local/auth/pg-auth-admin.ts";
import { migrate } from "../../local/db/migrate.ts";
import { createDiskStorage } from "../../local/storage/disk-store.ts";
import { createUser, type TestUser } from "../db/fixtures.ts";
import { createScratchDatabase } from "../setup/scratch-database.ts";

export const TEST_JWT_SECRET = "test-secret-test-secret-test-secret-0123456789";
export const TEST_ANON_KEY = "anon-key-for-tests";

export interface Harness {
  deps: AppDeps;
  app: ReturnType<typeof createApp>;
  su: postgres.Sql;
  logLines: string[];
  dataDir: string;
  /** A signed-up user with a valid access token. */
  user(options?: { admin?: boolean; userMetadata?: Record<string, unknown> }): Promise<ApiUser>;
  call(path: string, init?: RequestInit & { token?: string | null; json?: unknown }): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface ApiUser extends TestUser {
  token: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: {
    success: boolean;
    data?: unknown;
    message?: string;
    error?: { code: string; message: string; details: Record<string, unknown> };
    timestamp: string;
  };
  // The body as the route returned it, for non-JSON answers.
  text: string;
}

export async function mintToken(
  user: TestUser,
  options: { expiresIn?: string; secret?: string } = {},
): Promise<string> {
  return new jose.SignJWT({ ...user.claims, aud: "authenticated", session_id: crypto.randomUUID() })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(user.id)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "1h")
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Builds the Storage adapter; `db` is the harness's own connection (the disk store keeps rows there). */
  storage?: (config: ApiConfig, dataDir: string, db: Db) => StoragePort;
  /** The auth admin adapter, or a factory given the harness's connection (the PostgreSQL adapter needs one). */
  authAdmin?: AuthAdmin | ((db: Db) => AuthAdmin);
  /**
   * A freshly migrated database of this file's own. Tests that change platform-wide settings (approval
   * mode, limits) need it: CI runs every file against one shared database, in parallel.
   */
  ownDatabase?: boolean;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const scratch = options.ownDatabase
    ? await createScratchDatabase("synth_api", process.env.SYNTH_PG_ADMIN_URL)
    : null;
  if (scratch) await migrate(scratch.url);
  const url = scratch?.url ?? inject("databaseUrl");
  const dataDir = await mkdtemp(join(tmpdir(), "synth-api-"));
  const config = loadApiConfig({
    SUPABASE_URL: "http://127.0.0.1:54321",
    SUPABASE_ANON_KEY: TEST_ANON_KEY,
    SUPABASE_SERVICE_ROLE_KEY: "service-role-key-for-tests",
    SUPABASE_DB_URL: url,
    SUPABASE_JWT_SECRET: TEST_JWT_SECRET,
    ...options.env,
  });
  const su = postgres(url, { max: 2, onnotice: () => {} });
  const db = createDb({ url, maxConnections: 4 });
  const logLines: string[] = [];
  const logger = createLogger({ level: "debug", sink: (line) => logLines.push(line) });
  const verifier = createJwtVerifier({ secret: TEST_JWT_SECRET });
  const deps: AppDeps = {
    config,
    db,
    storage:
      options.storage?.(config, dataDir, db) ??
      createDiskStorage({
        root: join(dataDir, "storage"),
        db,
        verify: async (token) => (await verifier.verify(token)).claims,
        jwtSecret: TEST_JWT_SECRET,
        publicUrl: config.supabaseUrl,
      }),
    authAdmin:
      (typeof options.authAdmin === "function" ? options.authAdmin(db) : options.authAdmin) ??
      createPgAuthAdmin(db),
    verifier,
    clock: systemClock,
    logger,
    requestLog: createRequestLogWriter({ db, logger, flushAfterMs: 20 }),
  };
  const app = createApp(deps);
  return {
    deps,
    app,
    su,
    logLines,
    dataDir,
    async user(userOptions = {}) {
      const u = await createUser(su, userOptions);
      return { ...u, token: await mintToken(u) };
    },
    async call(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.token) headers.set("authorization", `Bearer ${init.token}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      }
      const res = await app.request(`/api${path}`, { ...init, headers, body });
      const text = await res.text();
      let parsed: ApiResponse["body"];
      try {
        parsed = JSON.parse(text) as ApiResponse["body"];
      } catch {
        parsed = { success: false, timestamp: "" };
      }
      return { status: res.status, headers: res.headers, body: parsed, text };
    },
    async close() {
      await deps.requestLog.flush();
      await Promise.all([su.end(), db.destroy()]);
      await scratch?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
