import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Db } from "../shared/platform/db.ts";
import type { Database } from "../shared/platform/schema.ts";
import type { Logger } from "../shared/platform/logger.ts";
import type { ListenFn, ListenHandlers, Listener } from "../shared/platform/notifications.ts";

/**
 * The runner's database: kysely over node-postgres rather than postgres.js. A runner must ride out its
 * backends being terminated (a failover, a restart, pg_terminate_backend), and postgres.js 3.4.9 can then
 * throw outside any query or leave one hanging (porsager/postgres#1154, #1208, unfixed); node-postgres
 * reports a lost connection as an error on the query and an 'error' event on the pool, which drops the
 * client and opens a new one for the next query. The rest of the runner only sees the kysely Db.
 */
export interface RunnerDb {
  db: Db;
  close(): Promise<void>;
}

export function createRunnerDb(options: {
  url: string;
  maxConnections: number;
  applicationName: string;
  logger: Logger;
}): RunnerDb {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections,
    application_name: options.applicationName,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // A checked-out client whose backend goes away emits 'error' besides failing its query (which the
  // caller sees); without a listener that event would end the process.
  pool.on("connect", (client) => {
    client.on("error", (error) => {
      options.logger.log("warn", "database connection lost during a query", { error: error.message });
    });
  });
  // An idle client whose backend went away: the pool has already discarded it.
  pool.on("error", (error) => {
    options.logger.log("warn", "database connection lost; it is replaced on the next query", {
      error: error.message,
    });
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, close: () => db.destroy() };
}

/**
 * LISTEN on one dedicated connection that comes back by itself: a lost connection is reopened with a
 * growing delay (1 s to 30 s), and every (re)start calls `onListening`, because notifications sent while
 * it was down are gone and the queue must be looked at.
 */
export function listen(
  options: { url: string; channel: string; applicationName: string; logger: Logger } & ListenHandlers,
): Listener {
  let client: pg.Client | null = null;
  let listening = false;
  let closed = false;
  let delayMs = 1000;
  let retry: ReturnType<typeof setTimeout> | null = null;

  const scheduleRetry = () => {
    if (closed || retry !== null) return;
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, delayMs);
    delayMs = Math.min(30_000, delayMs * 2);
  };

  const lost = (c: pg.Client, reason: string) => {
    if (client !== c) return;
    client = null;
    listening = false;
    options.logger.log("warn", "LISTEN connection lost; polling until it is back", { reason });
    c.removeAllListeners("error");
    c.on("error", () => {});
    void c.end().catch(() => {});
    scheduleRetry();
  };

  async function connect(): Promise<void> {
    if (closed) return;
    const c = new pg.Client({ connectionString: options.url, application_name: options.applicationName });
    client = c;
    c.on("error", (error) => lost(c, error.message));
    c.on("end", () => lost(c, "connection ended"));
    c.on("notification", (message) => {
      if (message.channel === options.channel) options.onNotify(message.payload ?? "");
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(options.channel)}`);
      if (client !== c) return;
      listening = true;
      delayMs = 1000;
      options.logger.log("info", `listening on ${options.channel}`);
      options.onListening();
    } catch (error) {
      lost(c, error instanceof Error ? error.message : String(error));
    }
  }

  void connect();
  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      if (retry !== null) clearTimeout(retry);
      const c = client;
      client = null;
      listening = false;
      if (c) {
        c.removeAllListeners();
        c.on("error", () => {});
        await c.end().catch(() => {});
      }
    },
  };
}

/** The ListenFn of a PostgreSQL server at url: one self-healing connection per channel. */
export function pgListen(options: { url: string; applicationName: string; logger: Logger }): ListenFn {
  return (channel, handlers) => listen({ ...options, channel, ...handlers });
}
