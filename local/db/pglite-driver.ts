import { AsyncLocalStorage } from "node:async_hooks";
import type { PGlite, Results } from "@electric-sql/pglite";
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from "kysely";
import { synthError } from "../../shared/errors.ts";
import type { Db } from "../../shared/platform/db.ts";
import type { Database } from "../../shared/platform/schema.ts";

/**
 * kysely in the same process as PGlite, with no socket in between.
 *
 * Why not pglite-socket's server and its multiplexer (a postgres.js or node-postgres pool over TCP)? PGlite
 * is ONE PostgreSQL session. The multiplexer (pglite-socket 0.2.17, dist/index.js) queues whole messages
 * per connection and keeps a connection exclusive only while the backend reports "in transaction"
 * (ReadyForQuery 'T'/'E'); outside a transaction it hands the session to whichever connection is next, so
 * (1) two connections' extended-protocol exchanges (Parse/Bind/Describe/Execute/Sync sent in several
 * writes) can interleave, (2) postgres.js names its prepared statements per connection (`s1`, `s2`...,
 * cached per connection) while the session has one namespace of them: a second connection's `s1` clashes
 * with or silently reuses the first one's, (3) LISTEN, SET and temp tables of one connection are every
 * connection's. Every client would need `max: 1` and `prepare: false` to be safe, and then it is what this
 * driver is, plus a TCP hop and protocol encoding in both directions per query.
 *
 * So: one connection, held by a FIFO mutex from kysely's acquireConnection to its releaseConnection, i.e.
 * for a whole transaction (a transaction is what must never interleave) or a single statement. Queries are
 * sent with PGlite's own query()/exec(), which PGlite runs one at a time anyway.
 *
 * A transaction's callback that queries the root Db instead of its `tx` would wait for the connection it
 * holds itself, forever. The transaction marks its async context (AsyncLocalStorage) and acquiring from
 * inside it throws a clear error instead. (Work started inside a transaction without being awaited
 * inherits the mark and throws too: it must be started after the transaction.)
 */

/** The connection's holder, visible to everything the transaction's callback runs. */
interface Holder {
  active: boolean;
}

/** A FIFO lock: callers run one after another in the order they asked. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();
  #waiting = 0;

  get waiting(): number {
    return this.#waiting;
  }

  /** Resolves with the release function once every earlier holder has released. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const before = this.#tail;
    this.#tail = before.then(() => mine);
    this.#waiting += 1;
    return before.then(() => {
      this.#waiting -= 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        release();
      };
    });
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/**
 * PGlite runs a query synchronously in wasm and answers through promises only: a loop of queries never
 * gives timers or I/O a turn (measured: four clients issuing transactions back to back froze the process,
 * lease-renewal timers and test timeouts included). Every statement or transaction therefore starts after
 * one turn of the event loop, as a query to a server would.
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Values PGlite would serialize with toString() when the parameter's type does not say otherwise. */
function normalizeParameter(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  return value;
}

const COUNTED_COMMANDS = new Set(["INSERT", "UPDATE", "DELETE", "MERGE"]);

function toQueryResult<R>(result: Results<R> & { command?: string; rowCount?: number }): QueryResult<R> {
  // As kysely's own Postgres driver does: affected rows only for the commands that change rows.
  const counted = result.command !== undefined && COUNTED_COMMANDS.has(result.command);
  return counted
    ? { rows: result.rows, numAffectedRows: BigInt(result.rowCount ?? result.affectedRows ?? 0) }
    : { rows: result.rows };
}

class PgliteConnection implements DatabaseConnection {
  readonly holder: Holder = { active: true };

  constructor(
    private readonly pg: PGlite,
    readonly release: () => void,
  ) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    // Without parameters, the simple protocol (as node-postgres does): several statements in one text,
    // which is what migrations are.
    if (compiled.parameters.length === 0) {
      const results = await this.pg.exec(compiled.sql);
      return toQueryResult(results[results.length - 1] as Results<R>);
    }
    return toQueryResult(await this.pg.query<R>(compiled.sql, compiled.parameters.map(normalizeParameter)));
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw synthError("DB_ERROR", "streaming queries are not supported on the embedded database");
  }
}

export interface PgliteSession {
  /** Runs fn with the session to itself (no transaction of anyone else is open meanwhile). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** How many are waiting for the session now (for diagnostics and tests). */
  readonly waiting: number;
}

class PgliteDriver implements Driver {
  readonly #mutex = new Mutex();
  readonly #context = new AsyncLocalStorage<Holder>();

  constructor(private readonly pg: PGlite) {}

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.#assertNotHolding();
    await yieldToEventLoop();
    return this.#mutex.run(fn);
  }

  get waiting(): number {
    return this.#mutex.waiting;
  }

  async init(): Promise<void> {
    await this.pg.waitReady;
  }

  #assertNotHolding(): void {
    if (this.#context.getStore()?.active) {
      throw synthError(
        "DB_ERROR",
        "a query on the embedded database was started from inside a transaction, outside it (on the root db " +
          "rather than on the transaction's tx): it would wait for its own transaction forever",
      );
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    this.#assertNotHolding();
    await yieldToEventLoop();
    const release = await this.#mutex.acquire();
    return new PgliteConnection(this.pg, release);
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    // Synchronously, before any await: kysely calls this from the function that then runs the
    // transaction's callback, so the mark is inherited by everything the callback does.
    this.#context.enterWith((connection as PgliteConnection).holder);
    let begin = "begin";
    if (settings.isolationLevel) begin += ` isolation level ${settings.isolationLevel}`;
    if (settings.accessMode) begin += ` ${settings.accessMode}`;
    return connection.executeQuery(CompiledQuery.raw(begin)).then(() => undefined);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint "${name}"`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint "${name}"`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint "${name}"`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as PgliteConnection;
    c.holder.active = false;
    c.release();
  }

  async destroy(): Promise<void> {
    // The PGlite instance belongs to whoever opened it (it also serves LISTEN): closing it is theirs.
  }
}

/** The kysely Db over one PGlite instance, and the session lock everything else on it must take. */
export function createPgliteDb(pg: PGlite): { db: Db; session: PgliteSession } {
  const driver = new PgliteDriver(pg);
  const dialect: Dialect = {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => driver,
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
  const db = new Kysely<Database>({ dialect });
  const session: PgliteSession = {
    exclusive: (fn) => driver.exclusive(fn),
    get waiting() {
      return driver.waiting;
    },
  };
  return { db, session };
}
