import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createClient, type RealtimeChannel, type SupabaseClient } from "@supabase/supabase-js";
import type { Hono } from "hono";
import postgres from "postgres";
import { WebSocket } from "ws";
import { authRoutes } from "../../local/auth/auth-routes.ts";
import { migrate } from "../../local/db/migrate.ts";
import { openPostgresDatabase, type LocalDatabase } from "../../local/db/local-database.ts";
import { installRealtimeCapture } from "../../local/db/realtime-capture.ts";
import { createRealtimeServer, type RealtimeServer } from "../../local/realtime/realtime-server.ts";
import { createRealtimeTokenVerifier } from "../../local/realtime/realtime-token.ts";
import { createDb, type Db } from "../../shared/platform/db.ts";
import { mintApiKey } from "../../shared/platform/jwt-mint.ts";
import { createLogger } from "../../shared/platform/logger.ts";
import { pgListen } from "../../training-runner/pg-db.ts";
import { createScratchDatabase, type ScratchDatabase } from "../setup/scratch-database.ts";

/**
 * The local Realtime stand-in on one HTTP server with the Auth stand-in, as `synth serve` puts them, over
 * a database of its own: the capture triggers it installs must not fire in the tables other test files
 * share.
 */
export interface RealtimeHarness {
  url: string;
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
  su: postgres.Sql;
  db: Db;
  realtime: RealtimeServer;
  /** Log lines of warn and above, for the malformed-input tests. */
  logs: string[];
  client(key?: string): SupabaseClient;
  close(): Promise<void>;
}

/**
 * `local`: the LocalDatabase handle `synth serve` opens (node-postgres pool, pg LISTEN);
 * `postgres-js`: the Db of shared/platform (postgres.js), as an Edge Function's, with pg LISTEN.
 */
export type HarnessDatabase = "local" | "postgres-js";

export async function startRealtimeHarness(database: HarnessDatabase): Promise<RealtimeHarness> {
  const scratch: ScratchDatabase = await createScratchDatabase("synth_rt", process.env.SYNTH_PG_ADMIN_URL);
  await migrate(scratch.url);
  const su = postgres(scratch.url, { max: 3, onnotice: () => {} });
  const logs: string[] = [];
  const logger = createLogger({ level: "warn", sink: (line) => logs.push(line) });
  const handle: Pick<LocalDatabase, "db" | "listen" | "close"> =
    database === "local"
      ? openPostgresDatabase({ url: scratch.url, logger, applicationName: "synth-realtime-test" })
      : (() => {
          const db = createDb({ url: scratch.url, maxConnections: 8 });
          return {
            db,
            listen: pgListen({ url: scratch.url, applicationName: "synth-realtime-test", logger }),
            close: () => db.destroy(),
          };
        })();
  const { db } = handle;
  await installRealtimeCapture(db);
  const jwtSecret = `realtime-test-secret-${randomBytes(16).toString("hex")}`;
  const anonKey = await mintApiKey(jwtSecret, "anon");
  const serviceRoleKey = await mintApiKey(jwtSecret, "service_role");

  const inner: { app?: Hono } = {};
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: (req) => inner.app!.fetch(req), port: 0, hostname: "127.0.0.1" }, () =>
      resolve(s as Server),
    );
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  inner.app = authRoutes({ db, jwtSecret, publicUrl: url, anonKey, serviceRoleKey });
  const realtime = createRealtimeServer({
    db,
    listen: handle.listen,
    verify: createRealtimeTokenVerifier(jwtSecret),
    logger,
  });
  realtime.attach(server);
  await realtime.ready();

  const clients: SupabaseClient[] = [];
  return {
    url,
    jwtSecret,
    anonKey,
    serviceRoleKey,
    su,
    db,
    realtime,
    logs,
    client(key = anonKey) {
      const c = createClient(url, key, {
        auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
        realtime: { transport: WebSocket as never },
      });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.removeAllChannels()));
      for (const c of clients) c.realtime.disconnect();
      await realtime.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await su.end();
      await handle.close();
      await scratch.drop();
    },
  };
}

/** Resolves on SUBSCRIBED; rejects with the status and error of anything else. Every status goes to `statuses`. */
export function subscribed(channel: RealtimeChannel, statuses?: Inbox<string>): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, error) => {
      statuses?.push(status);
      if (status === "SUBSCRIBED") resolve();
      else reject(new Error(`channel ${channel.topic}: ${status}${error ? ` (${error.message})` : ""}`));
    });
  });
}

/** Payloads as they arrive, and a way to wait for the next one that fits. */
export class Inbox<T> {
  readonly items: T[] = [];
  private waiters: { test: (item: T) => boolean; resolve: (item: T) => void }[] = [];

  readonly push = (item: T): void => {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(item)) return true;
      w.resolve(item);
      return false;
    });
  };

  next(test: (item: T) => boolean = () => true): Promise<T> {
    const found = this.items.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }
}
