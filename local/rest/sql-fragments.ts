import { sql, type RawBuilder } from "kysely";
import { columnNotFound, PgrstError } from "./pgrst-error.ts";
import type { Condition, OrderTerm, SelectItem } from "./query-grammar.ts";
import type { Column } from "./schema-catalog.ts";

/**
 * The parsed request rendered as SQL against one relation (a table, a mutation's returned rows or a
 * function's result): every name is looked up in the catalog's columns and quoted with sql.ref/sql.id,
 * every value is a bound parameter of unknown type (PostgreSQL infers it from the column, as PostgREST's
 * are), and operators and cast types come from fixed tables here, never from the request.
 */
export interface Target {
  /** How errors name it (PostgREST: the table's name). */
  name: string;
  /** The SQL alias its columns are qualified with. */
  alias: string;
  columns: Map<string, Column>;
}

type Sql = RawBuilder<unknown>;

const OPERATORS: Record<string, string> = {
  eq: "=",
  neq: "<>",
  gt: ">",
  gte: ">=",
  lt: "<",
  lte: "<=",
  like: "like",
  ilike: "ilike",
  match: "~",
  imatch: "~*",
  isdistinct: "is distinct from",
  cs: "@>",
  cd: "<@",
  ov: "&&",
  sl: "<<",
  sr: ">>",
  nxr: "&<",
  nxl: "&>",
  adj: "-|-",
};

const FTS_FUNCTIONS: Record<string, string> = {
  fts: "to_tsquery",
  plfts: "plainto_tsquery",
  phfts: "phraseto_tsquery",
  wfts: "websearch_to_tsquery",
};

const IS_SQL: Record<string, string> = {
  null: "is null",
  not_null: "is not null",
  true: "is true",
  false: "is false",
  unknown: "is unknown",
};

/** The cast targets select= accepts (PostgREST passes any type name through; a fixed list is enough here). */
const CASTS: Record<string, string> = {
  text: "text",
  varchar: "varchar",
  int: "integer",
  int2: "smallint",
  int4: "integer",
  int8: "bigint",
  integer: "integer",
  smallint: "smallint",
  bigint: "bigint",
  numeric: "numeric",
  float4: "real",
  float8: "double precision",
  real: "real",
  bool: "boolean",
  boolean: "boolean",
  uuid: "uuid",
  json: "json",
  jsonb: "jsonb",
  date: "date",
  timestamp: "timestamp",
  timestamptz: "timestamptz",
};

export function column(target: Target, name: string): Sql {
  if (!target.columns.has(name)) throw columnNotFound(target.name, name);
  return sql`${sql.id(target.alias, name)}`;
}

/** A select list; `*` is every column of the target, in table order. */
export function selectList(items: SelectItem[], target: Target): Sql {
  const parts = items.flatMap((item): Sql[] => {
    // Spelled out rather than alias.*, so a target may carry helper columns that are never returned.
    if (item.kind === "star") return [...target.columns.keys()].map((name) => sql`${column(target, name)}`);
    let value = column(target, item.name);
    if (item.cast !== undefined) {
      const type = CASTS[item.cast.toLowerCase()];
      if (type === undefined) throw new PgrstError(400, "42704", `type "${item.cast}" does not exist`);
      value = sql`cast(${value} as ${sql.raw(type)})`;
    }
    return [sql`${value} as ${sql.id(item.alias ?? item.name)}`];
  });
  return parts.length === 0 ? sql`` : sql.join(parts, sql`, `);
}

export function condition(c: Condition, target: Target): Sql {
  const expr = positive(c, target);
  return c.negate ? sql`not (${expr})` : expr;
}

function positive(c: Condition, target: Target): Sql {
  switch (c.kind) {
    case "logic": {
      const children = c.children.map((child) => condition(child, target));
      return sql`(${sql.join(children, c.op === "and" ? sql` and ` : sql` or `)})`;
    }
    case "is":
      return sql`${column(target, c.column)} ${sql.raw(IS_SQL[c.value])}`;
    case "in":
      return c.values.length === 0
        ? sql`false`
        : sql`${column(target, c.column)} in (${sql.join(c.values.map((v) => sql`${v}`))})`;
    case "compare": {
      const col = column(target, c.column);
      const fts = FTS_FUNCTIONS[c.op];
      if (fts !== undefined) {
        const query =
          c.lang === undefined
            ? sql`${sql.raw(fts)}(${c.value})`
            : sql`${sql.raw(fts)}(${c.lang}::regconfig, ${c.value})`;
        return sql`${col} @@ ${query}`;
      }
      // PostgREST's like/ilike take `*` for `%`, so values survive URL encoding unharmed.
      const value = c.op === "like" || c.op === "ilike" ? c.value.replaceAll("*", "%") : c.value;
      const op = sql.raw(OPERATORS[c.op]);
      if (c.quant !== undefined) return sql`${col} ${op} ${sql.raw(c.quant)} (${value})`;
      return sql`${col} ${op} ${value}`;
    }
  }
}

export function whereClause(conditions: Condition[], target: Target): Sql {
  if (conditions.length === 0) return sql``;
  return sql`where ${sql.join(
    conditions.map((c) => condition(c, target)),
    sql` and `,
  )}`;
}

export function orderClause(terms: OrderTerm[], target: Target): Sql {
  if (terms.length === 0) return sql``;
  const parts = terms.map((t) => {
    const direction = t.direction === undefined ? sql`` : sql.raw(` ${t.direction}`);
    const nulls = t.nulls === undefined ? sql`` : sql.raw(` nulls ${t.nulls}`);
    return sql`${column(target, t.column)}${direction}${nulls}`;
  });
  return sql`order by ${sql.join(parts, sql`, `)}`;
}
