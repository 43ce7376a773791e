import { PgrstError } from "./pgrst-error.ts";
import {
  notEmbedded,
  parseColumns,
  parseFilter,
  parseKeyPath,
  parseLogic,
  parseOrder,
  parseSelect,
  type Condition,
  type OrderTerm,
  type SelectItem,
} from "./query-grammar.ts";

/**
 * The query string sorted as PostgREST sorts it (QueryParams.parse): reserved names, keys ending in
 * order/limit/offset/and/or, and filters; on an RPC read the parameters that are not `op.value` are the
 * function's arguments. The first occurrence of a reserved parameter wins; filters may repeat (all apply).
 */
export interface RequestQuery {
  select: SelectItem[];
  conditions: Condition[];
  order: OrderTerm[];
  limit?: number;
  offset?: number;
  columns?: string[];
  onConflict?: string[];
  /** RPC reads only. */
  args: Map<string, string>;
}

const LOGIC_KEYS = ["and", "or", "not.and", "not.or"] as const;

export function parseRequestQuery(params: URLSearchParams, relation: string, rpcRead: boolean): RequestQuery {
  const query: RequestQuery = { select: [{ kind: "star" }], conditions: [], order: [], args: new Map() };
  const seen = new Set<string>();
  const first = (key: string): boolean => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  for (const [key, value] of params) {
    if (key === "select") {
      if (first(key)) query.select = parseSelect(value, relation);
      continue;
    }
    if (key === "columns" || key === "on_conflict") {
      if (!first(key)) continue;
      const names = parseColumns(key === "columns" ? "columns parameter" : "on_conflict parameter", value);
      if (key === "columns") query.columns = names;
      else query.onConflict = names;
      continue;
    }
    const last = key.slice(key.lastIndexOf(".") + 1);
    if (last === "order" || last === "limit" || last === "offset") {
      if (key !== last) throw notEmbedded(key.slice(0, key.lastIndexOf(".")));
      if (!first(key)) continue;
      if (last === "order") query.order = parseOrder(value);
      else {
        // PostgREST reads these with readMaybe: a value that is no integer is ignored.
        const n = /^-?[0-9]{1,15}$/.test(value) ? Number(value) : undefined;
        if (last === "limit") query.limit = n;
        else query.offset = n;
      }
      continue;
    }
    if (last === "and" || last === "or") {
      if (!(LOGIC_KEYS as readonly string[]).includes(key)) throw notEmbedded(key.split(".")[0]);
      query.conditions.push(parseLogic(key as (typeof LOGIC_KEYS)[number], value));
      continue;
    }
    const path = parseKeyPath(key);
    if (path.length > 1) throw notEmbedded(path[0]);
    if (rpcRead) {
      try {
        query.conditions.push(parseFilter(path[0], value));
      } catch (error) {
        if (!(error instanceof PgrstError) || error.code !== "PGRST100") throw error;
        query.args.set(path[0], value);
      }
      continue;
    }
    query.conditions.push(parseFilter(path[0], value));
  }
  if (query.offset !== undefined && query.offset < 0) query.offset = undefined;
  return query;
}
