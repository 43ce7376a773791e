/**
 * A timestamp from PostgreSQL as ISO 8601. `infinity` and `-infinity` (a ban "forever" may be stored so)
 * reach JavaScript as an invalid Date; they are answered as the words, never as a crash.
 */
export function isoTimestamp(value: Date | string): string;
export function isoTimestamp(value: Date | string | null): string | null;
export function isoTimestamp(value: Date | string | null): string | null {
  if (value === null) return null;
  if (value === "infinity" || value === "-infinity") return value;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return typeof value === "string" ? value : "infinity";
  return date.toISOString();
}

/** Milliseconds since the epoch, with `infinity` as +Infinity (so comparisons with now() hold). */
export function timestampMs(value: string): number {
  if (value === "infinity") return Number.POSITIVE_INFINITY;
  if (value === "-infinity") return Number.NEGATIVE_INFINITY;
  return Date.parse(value);
}
