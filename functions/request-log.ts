import { asServiceRole, type Db } from "../shared/platform/db.ts";
import type { Logger } from "../shared/platform/logger.ts";

export interface RequestLogEntry {
  request_id: string;
  user_id: string | null;
  method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";
  route: string;
  status: number;
  duration_ms: number;
  bytes_in: number;
  bytes_out: number;
  error_code: string | null;
}

export interface RequestLogSink {
  record(entry: RequestLogEntry): void;
  /** Writes what is buffered; the entrypoint calls it on shutdown, tests before reading the table. */
  flush(): Promise<void>;
}

/**
 * One row per request in api_request_logs, written in batches after the responses went out, so logging
 * never adds a database round trip to a request. A batch that fails is logged and dropped: the request
 * log is telemetry, never a reason to fail or retry a user's request. `schedule` lets the Edge runtime keep
 * the isolate alive for the write (EdgeRuntime.waitUntil).
 */
export function createRequestLogWriter(options: {
  db: Db;
  logger: Logger;
  flushAfterMs?: number;
  maxBatch?: number;
  maxBuffered?: number;
  schedule?: (work: Promise<unknown>) => void;
}): RequestLogSink {
  const flushAfterMs = options.flushAfterMs ?? 500;
  const maxBatch = options.maxBatch ?? 200;
  const maxBuffered = options.maxBuffered ?? 10_000;
  let buffer: RequestLogEntry[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inFlight: Promise<void> = Promise.resolve();

  const writeBatch = async (batch: RequestLogEntry[]): Promise<void> => {
    try {
      await asServiceRole(options.db, "api-request-log", (tx) =>
        tx
          .insertInto("api_request_logs")
          .values(batch.map((e) => ({ ...e, bytes_in: String(e.bytes_in), bytes_out: String(e.bytes_out) })))
          .execute(),
      );
    } catch (error) {
      options.logger.log("warn", "request log batch dropped", {
        rows: batch.length,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };

  const flush = (): Promise<void> => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    while (buffer.length > 0) {
      const batch = buffer.slice(0, maxBatch);
      buffer = buffer.slice(maxBatch);
      inFlight = inFlight.then(() => writeBatch(batch));
    }
    return inFlight;
  };

  return {
    record(entry) {
      if (buffer.length >= maxBuffered) return;
      buffer.push(entry);
      if (buffer.length >= maxBatch) {
        const work = flush();
        options.schedule?.(work);
      } else if (timer === null) {
        timer = setTimeout(() => {
          timer = null;
          const work = flush();
          options.schedule?.(work);
        }, flushAfterMs);
      }
    },
    flush,
  };
}
