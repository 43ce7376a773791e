import { parseFilter, type ColumnFilter } from "./postgres-filter.ts";
import type { ChangeEvent } from "./change-event.ts";

/**
 * One postgres_changes binding of a channel, as the client sent it in `config.postgres_changes` and with
 * the id the server gives it. The id is a hash of the parameters, as the real server's
 * `:erlang.phash2(params)`: equal bindings get equal ids, and an integer below 2^27.
 */
export interface Binding {
  id: number;
  /** What the join reply echoes: the client's parameters as sent, plus `id`. */
  echo: Record<string, unknown>;
  event: "*" | "INSERT" | "UPDATE" | "DELETE";
  schema: string;
  /** "*" for every table of the schema. */
  table: string;
  filters: ColumnFilter[];
  /** Columns the client asked for (`select`); the primary key is always sent too. */
  select: string[] | null;
}

export type BindingParse = { ok: true; binding: Binding } | { ok: false; error: string };

const PHASH_RANGE = 2 ** 27;

/** FNV-1a over the parameters' JSON, reduced to phash2's range. */
export function bindingId(params: Record<string, unknown>): number {
  const text = JSON.stringify(params);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % PHASH_RANGE;
}

function actionFilter(event: unknown): Binding["event"] {
  if (typeof event !== "string") return "*";
  const upper = event.toUpperCase();
  return upper === "INSERT" || upper === "UPDATE" || upper === "DELETE" ? upper : "*";
}

const describe = (params: Record<string, unknown>) => JSON.stringify(params);

/** The binding's parameters checked as parse_subscription_params checks them; errors in its words. */
export function parseBinding(raw: unknown): BindingParse {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return { ok: false, error: "postgres_changes bindings must be objects" };
  const params = raw as Record<string, unknown>;
  const echo = { ...params, id: bindingId(params) };
  let select: string[] | null = null;
  if ("select" in params && params.select !== undefined && params.select !== null) {
    if (!Array.isArray(params.select))
      return {
        ok: false,
        error:
          'Error parsing `select` params: expected a list of column name strings, e.g. select: ["col1", "col2"]',
      };
    const names = params.select.filter((c): c is string => typeof c === "string");
    select = names.length === 0 ? null : names;
  }
  const { schema, table, filter } = params;
  const has = (key: string) => key in params && params[key] !== undefined;
  let target: { schema: string; table: string; filter?: string };
  if (typeof schema === "string" && typeof table === "string" && typeof filter === "string") {
    target = { schema, table, filter };
  } else if (typeof schema === "string" && typeof table === "string" && !has("filter")) {
    target = { schema, table };
  } else if (typeof schema === "string" && !has("table") && !has("filter")) {
    target = { schema, table: "*" };
  } else if (typeof table === "string" && !has("schema") && !has("filter")) {
    target = { schema: "public", table };
  } else {
    return {
      ok: false,
      error: `No subscription params provided. Please provide at least a \`schema\` or \`table\` to subscribe to: ${describe(params)}`,
    };
  }
  if (select !== null && (target.schema === "*" || target.table === "*"))
    return {
      ok: false,
      error:
        "Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.",
    };
  const filters = parseFilter(target.filter);
  if (!filters.ok) return filters;
  if (filters.filters.length > 0 && (target.schema === "*" || target.table === "*"))
    return { ok: false, error: "Filters need an explicit schema and table name." };
  return {
    ok: true,
    binding: {
      id: echo.id,
      echo,
      event: actionFilter(params.event),
      schema: target.schema,
      table: target.table,
      filters: filters.filters,
      select,
    },
  };
}

/** Whether the change is one the binding asked for, before any filter or visibility check. */
export function bindingWants(binding: Binding, change: ChangeEvent): boolean {
  return (
    (binding.event === "*" || binding.event === change.type) &&
    (binding.schema === "*" || binding.schema === change.schema) &&
    (binding.table === "*" || binding.table === change.table)
  );
}
