import { AsyncResource } from "node:async_hooks";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { synthError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/platform/logger.ts";
import type { ListenFn } from "../../shared/platform/notifications.ts";
import type { LocalDatabase } from "./local-database.ts";
import { migrateDb, type MigrateResult } from "./migrate.ts";
import { createPgliteDb, type PgliteSession } from "./pglite-driver.ts";

export interface PgliteDatabaseOptions {
  /** synth's data directory; the database lives in `<dataDir>/pglite`. */
  dataDir: string;
  logger: Logger;
  /** Migrations to apply at start (default supabase/migrations). */
  migrationsDir?: string;
}

export interface PgliteDatabase extends LocalDatabase {
  readonly kind: "pglite";
  /** The PGlite instance, for tests and tools; queries on it must go through `session.exclusive`. */
  readonly pglite: PGlite;
  readonly session: PgliteSession;
  /** What the start applied: the bootstrap on a new directory, then only new migrations. */
  readonly migration: MigrateResult;
}

/** PGlite's own parsers return int8 as a JS number; node-postgres and postgres.js return a string. */
const PARSERS = { 20: (value: string) => value };
/**
 * A json/jsonb parameter is JSON-encoded whatever it is, a string included, as postgres.js (the API's
 * driver on Supabase) does: a pre-stringified value then arrives as a JSON string here too, and the queue
 * functions' guard against it is exercised locally rather than first in production.
 */
const SERIALIZERS = {
  114: (value: unknown) => JSON.stringify(value),
  3802: (value: unknown) => JSON.stringify(value),
};

/**
 * The embedded default of `synth serve`: PostgreSQL 18 (PGlite, wasm) in this process, persisted in the
 * data directory, with the local Supabase bootstrap and every migration applied at start exactly as
 * `synth db migrate` applies them to a server.
 */
export async function openPgliteDatabase(options: PgliteDatabaseOptions): Promise<PgliteDatabase> {
  const dir = join(options.dataDir, "pglite");
  mkdirSync(dir, { recursive: true });
  const unlock = lockDirectory(dir);
  const logger = options.logger;
  let pglite: PGlite;
  try {
    const started = performance.now();
    pglite = await PGlite.create(dir, { parsers: PARSERS, serializers: SERIALIZERS });
    logger.log("info", "embedded database opened", {
      dir,
      ms: Math.round(performance.now() - started),
    });
  } catch (error) {
    unlock();
    throw synthError(
      "DB_ERROR",
      `cannot open the embedded database in ${dir}: ${(error as Error).message}`,
      { dir },
      error,
    );
  }
  const { db, session } = createPgliteDb(pglite);
  const close = async () => {
    await session.exclusive(() => pglite.close());
    unlock();
  };
  try {
    const started = performance.now();
    const migration = await migrateDb(db, {
      migrationsDir: options.migrationsDir,
      log: (line) => logger.log("info", line),
    });
    logger.log("info", "embedded database migrated", {
      applied: migration.applied.length,
      ms: Math.round(performance.now() - started),
    });
    return {
      kind: "pglite",
      db,
      listen: pgliteListen(pglite, session, logger),
      pglite,
      session,
      migration,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * LISTEN on the embedded session. LISTEN goes through the session lock, so it never lands inside
 * someone's open transaction (whose rollback would undo it). PGlite calls back while it reads the result
 * of whichever query carried the notification, inside that query's async context (maybe a transaction's):
 * the handler runs later, in the context the listener was created in, so what it starts is its own work.
 */
export function pgliteListen(pglite: PGlite, session: PgliteSession, logger: Logger): ListenFn {
  return (channel, handlers) => {
    let listening = false;
    let closed = false;
    const deliver = AsyncResource.bind((payload: string) => {
      if (!closed) handlers.onNotify(payload);
    });
    const started = session
      .exclusive(() => pglite.listen(channel, (payload) => queueMicrotask(() => deliver(payload))))
      .then(
        (unlisten) => {
          if (closed) return unlisten;
          listening = true;
          logger.log("info", `listening on ${channel}`);
          handlers.onListening();
          return unlisten;
        },
        (error: unknown) => {
          logger.log("error", `LISTEN ${channel} failed on the embedded database`, {
            error: error instanceof Error ? error.message : String(error),
          });
          return null;
        },
      );
    return {
      get listening() {
        return listening;
      },
      async close() {
        closed = true;
        listening = false;
        const unlisten = await started;
        if (unlisten && !pglite.closed) await session.exclusive(() => unlisten());
      },
    };
  };
}

/**
 * One process per data directory: two PGlite instances on the same files corrupt them. A lock file names
 * the holder; one left by a process that is gone is taken over.
 */
function lockDirectory(dir: string): () => void {
  const file = join(dir, "synth.lock");
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(readFileSync(file, "utf8"));
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw synthError(
          "CONFIG_ERROR",
          `the embedded database in ${dir} is in use by process ${holder}; stop it or choose another data directory`,
          { dir, pid: holder },
        );
      }
      if (holder === process.pid) {
        throw synthError("CONFIG_ERROR", `the embedded database in ${dir} is already open in this process`, {
          dir,
        });
      }
      rmSync(file, { force: true });
    }
  }
  throw synthError("CONFIG_ERROR", `cannot lock the embedded database in ${dir}`, { dir });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
