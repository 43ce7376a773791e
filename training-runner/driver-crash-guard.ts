import type { Logger } from "../shared/platform/logger.ts";

/**
 * postgres.js 3.4.x defers small writes to a setImmediate that can run after the connection closed and
 * throws on the null socket (porsager/postgres#1154, #1208; unfixed in 3.4.9). It is thrown outside any
 * query, so no await can catch it, and it would take the runner down whenever a backend is terminated,
 * the very fault the runner must ride out. By then the driver has already rejected the affected query
 * with CONNECTION_CLOSED, so this one exception is logged and survived; every other uncaught exception
 * still ends the process.
 */
export function isPostgresNullSocketWrite(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    /reading 'write'/.test(error.message) &&
    /nextWrite/.test(error.stack ?? "") &&
    /postgres[\\/]src[\\/]connection\.js/.test(error.stack ?? "")
  );
}

export function installDriverCrashGuard(logger: Logger): void {
  process.on("uncaughtException", (error) => {
    if (isPostgresNullSocketWrite(error)) {
      logger.log("warn", "postgres.js wrote to a closed connection (porsager/postgres#1154); survived", {});
      return;
    }
    logger.log("error", "uncaught exception: exiting", {
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    process.exit(70);
  });
}
