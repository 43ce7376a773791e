import { PgrstError } from "./pgrst-error.ts";

/**
 * Which rows a read returns (RangeQuery.hs): the `Range` header (GET only) intersected with
 * limit/offset, then capped by max-rows; and the Content-Range / status that answer it.
 */
export interface RowWindow {
  offset: number;
  /** undefined: no limit at all (no max-rows either). */
  limit?: number;
}

const invalidRange = (details: string) =>
  new PgrstError(416, "PGRST103", "Requested range not satisfiable", details);

export function rowWindow(options: {
  rangeHeader?: string;
  limit?: number;
  offset?: number;
  maxRows?: number;
}): RowWindow {
  let lower = 0;
  let upper = Infinity;
  const header = /^([0-9]{1,15})-([0-9]{0,15})$/.exec(options.rangeHeader ?? "");
  if (header) {
    lower = Number(header[1]);
    if (header[2] !== "") upper = Number(header[2]);
    if (upper < lower)
      throw invalidRange(
        "The lower boundary must be lower than or equal to the upper boundary in the Range header.",
      );
  }
  const offset = options.offset ?? 0;
  if (options.limit !== undefined && options.limit < 0)
    throw invalidRange("Limit should be greater than or equal to zero.");
  const queryUpper = options.limit === undefined ? Infinity : offset + options.limit - 1;
  lower = Math.max(lower, offset);
  upper = Math.min(upper, queryUpper);
  if (options.maxRows !== undefined) upper = Math.min(upper, lower + options.maxRows - 1);
  return upper === Infinity ? { offset: lower } : { offset: lower, limit: Math.max(0, upper - lower + 1) };
}

export function contentRange(lower: number, rows: number, total: number | undefined): string {
  const upper = lower + rows - 1;
  const range = total !== 0 && lower <= upper ? `${lower}-${upper}` : "*";
  return `${range}/${total === undefined ? "*" : total}`;
}

/** 200, or with a count 206 when only part of it is returned; an offset past the total is 416. */
export function readStatus(lower: number, rows: number, total: number | undefined): number {
  if (total === undefined) return 200;
  if (lower > total)
    throw invalidRange(`An offset of ${lower} was requested, but there are only ${total} rows.`);
  return rows < total ? 206 : 200;
}
