/**
 * Structured JSON logs, one object per line: what the Supabase function logs, the runner's container logs
 * and a log shipper read. The sink is injected (console.log in production), so tests can assert on lines.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(
  options: { level?: LogLevel; sink?: (line: string) => void; now?: () => Date; base?: LogFields } = {},
): Logger {
  const min = LEVELS[options.level ?? "info"];
  const sink = options.sink ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => new Date());
  const base = options.base ?? {};
  return {
    log(level, message, fields = {}) {
      if (LEVELS[level] < min) return;
      sink(JSON.stringify({ timestamp: now().toISOString(), level, message, ...base, ...fields }));
    },
    child(fields) {
      return createLogger({ ...options, base: { ...base, ...fields } });
    },
  };
}
