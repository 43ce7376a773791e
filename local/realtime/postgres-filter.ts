import { sql, type RawBuilder } from "kysely";

/**
 * The `filter` of a postgres_changes binding, parsed as Realtime parses it (postgres_cdc_rls/subscriptions.ex
 * parse_subscription_params): `col=op.value`, comma-separated segments ANDed, `not.` negating, `in` taking a
 * parenthesised list, double quotes protecting commas. Evaluation is left to PostgreSQL, with the value cast
 * to the column's own type, as realtime.check_equality_op does: uuids, numbers and timestamps compare as
 * themselves, never as strings.
 */
export const FILTER_OPERATORS = [
  "eq",
  "neq",
  "lt",
  "lte",
  "gt",
  "gte",
  "in",
  "like",
  "ilike",
  "is",
  "match",
  "imatch",
  "isdistinct",
] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export interface ColumnFilter {
  column: string;
  operator: FilterOperator;
  /** As Realtime stores it: an `in` list becomes a PostgreSQL array literal `{a,b}`. */
  value: string;
  negate: boolean;
}

export type FilterParse = { ok: true; filters: ColumnFilter[] } | { ok: false; error: string };

const MAX_SEGMENTS = 32;
const IS_VALUES = ["null", "true", "false", "unknown"];

/** Elixir's inspect of a list of strings, which the real server's messages quote. */
const inspectList = (parts: string[]): string => `[${parts.map((p) => JSON.stringify(p)).join(", ")}]`;

function splitTopLevel(filter: string): string[] {
  const segments: string[] = [];
  let current = "";
  let depth = 0;
  let quoted = false;
  let previous = "";
  for (let i = 0; i < filter.length; i++) {
    const char = filter[i];
    if (quoted) {
      if (char === "\\" && i + 1 < filter.length) {
        current += char + filter[++i];
        continue;
      }
      if (char === '"') quoted = false;
      current += char;
    } else if (char === '"' && [".", "(", ","].includes(previous)) {
      quoted = true;
      current += char;
    } else if (char === "(") {
      depth++;
      current += char;
    } else if (char === ")") {
      depth = Math.max(0, depth - 1);
      current += char;
    } else if (char === "," && depth === 0) {
      segments.push(current);
      current = "";
    } else {
      current += char;
    }
    previous = char;
  }
  segments.push(current);
  return segments;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  let out = "";
  for (let i = 1; i < value.length; i++) {
    const char = value[i];
    if (char === "\\" && i + 1 < value.length) out += value[++i];
    else if (char === '"') return i === value.length - 1 ? out : value;
    else out += char;
  }
  return value;
}

function parseSegment(segment: string): ColumnFilter | string {
  const trimmed = segment.trim();
  if (trimmed === "") return "filter must not contain empty segments (check for extra commas)";
  const eq = trimmed.indexOf("=");
  if (eq < 0) return inspectList([trimmed]);
  const column = trimmed.slice(0, eq);
  let rest = trimmed.slice(eq + 1);
  const negate = rest.startsWith("not.");
  if (negate) rest = rest.slice(4);
  const dot = rest.indexOf(".");
  if (dot < 0) return inspectList([column, rest]);
  const operator = rest.slice(0, dot);
  const raw = rest.slice(dot + 1);
  if (!(FILTER_OPERATORS as readonly string[]).includes(operator)) return inspectList([operator, raw]);
  if (operator === "in") {
    if (raw.length < 2 || !raw.startsWith("(") || !raw.endsWith(")"))
      return "`in` filter value must be wrapped by parentheses";
    return { column, operator, value: `{${raw.slice(1, -1)}}`, negate };
  }
  const value = unquote(raw);
  if (operator === "is" && !IS_VALUES.includes(value.toLowerCase()))
    return `\`is\` filter value must be one of ${IS_VALUES.join(", ")}`;
  return { column, operator: operator as FilterOperator, value, negate };
}

export function parseFilter(filter: string | undefined | null): FilterParse {
  if (filter === undefined || filter === null || filter.trim() === "") return { ok: true, filters: [] };
  const segments = splitTopLevel(filter.trim());
  if (segments.length > MAX_SEGMENTS)
    return { ok: false, error: `Error parsing \`filter\` params: more than ${MAX_SEGMENTS} segments` };
  const filters: ColumnFilter[] = [];
  for (const segment of segments) {
    const parsed = parseSegment(segment);
    if (typeof parsed === "string") return { ok: false, error: `Error parsing \`filter\` params: ${parsed}` };
    filters.push(parsed);
  }
  return { ok: true, filters };
}

const COMPARISON: Partial<Record<FilterOperator, string>> = {
  eq: "=",
  neq: "<>",
  lt: "<",
  lte: "<=",
  gt: ">",
  gte: ">=",
  isdistinct: "is distinct from",
};
const PATTERN: Partial<Record<FilterOperator, string>> = {
  like: "like",
  ilike: "ilike",
  match: "~",
  imatch: "~*",
};

/**
 * The filter as a boolean SQL expression over the row alias `t`; `sqlType` is the column's
 * format_type, which comes from the catalog and never from the client. NULL counts as no match.
 */
export function filterExpression(filter: ColumnFilter, sqlType: string): RawBuilder<boolean> {
  const column = sql.id("t", filter.column);
  const type = sql.raw(sqlType);
  let expression: RawBuilder<unknown>;
  const comparison = COMPARISON[filter.operator];
  const pattern = PATTERN[filter.operator];
  if (comparison !== undefined) {
    expression = sql`${column} ${sql.raw(comparison)} cast(${filter.value}::text as ${type})`;
  } else if (pattern !== undefined) {
    expression = sql`${column}::text ${sql.raw(pattern)} ${filter.value}::text`;
  } else if (filter.operator === "in") {
    expression = sql`${column} = any(cast(${filter.value}::text as ${sql.raw(`${sqlType}[]`)}))`;
  } else {
    expression = sql`${column} is ${sql.raw(filter.value.toLowerCase())}`;
  }
  return filter.negate
    ? sql<boolean>`coalesce(not (${expression}), false)`
    : sql<boolean>`coalesce(${expression}, false)`;
}
