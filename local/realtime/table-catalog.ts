import { sql } from "kysely";
import type { Db } from "../../shared/platform/db.ts";

/**
 * What a change message says about a table's columns, per subscriber role: real Realtime lists (and sends)
 * only the columns the role may SELECT (apply_rls.sql has_column_privilege), names types by pg_type.typname
 * as realtime-js's convertChangeData expects (int8, timestamptz, _text), and casts filter values to the
 * column's type, for which format_type is kept.
 */
export interface TableColumn {
  name: string;
  /** pg_type.typname, what the message's `columns[].type` carries. */
  type: string;
  /** format_type(...), for casting filter values and keys to the column's type. */
  sqlType: string;
  isPrimaryKey: boolean;
  selectable: boolean;
}

export interface TableDescription {
  schema: string;
  table: string;
  columns: TableColumn[];
}

interface ColumnRow {
  name: string;
  type: string;
  sql_type: string;
  is_pk: boolean;
  selectable: boolean;
}

/** Catalog look-ups cached briefly: every change of a busy table would otherwise ask again. */
export class TableCatalog {
  private readonly cache = new Map<string, { at: number; value: TableDescription | null }>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs = 5_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The table's columns as `role` sees them, or null when there is no such table. */
  async describe(schema: string, table: string, role: string): Promise<TableDescription | null> {
    const key = JSON.stringify([schema, table, role]);
    const cached = this.cache.get(key);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.value;
    const { rows } = await sql<ColumnRow>`
      select a.attname::text as name, ty.typname::text as type,
             format_type(a.atttypid, a.atttypmod) as sql_type,
             coalesce(a.attnum = any(i.indkey), false) as is_pk,
             has_column_privilege(${role}::text, a.attrelid, a.attnum, 'SELECT') as selectable
        from pg_attribute a
        join pg_type ty on ty.oid = a.atttypid
        left join pg_index i on i.indrelid = a.attrelid and i.indisprimary
       where a.attrelid = to_regclass(quote_ident(${schema}::text) || '.' || quote_ident(${table}::text))
         and a.attnum > 0 and not a.attisdropped
       order by a.attnum`.execute(this.db);
    const value =
      rows.length === 0
        ? null
        : {
            schema,
            table,
            columns: rows.map((r) => ({
              name: r.name,
              type: r.type,
              sqlType: r.sql_type,
              isPrimaryKey: r.is_pk,
              selectable: r.selectable,
            })),
          };
    if (this.cache.size > 1_000) this.cache.clear();
    this.cache.set(key, { at: this.now(), value });
    return value;
  }
}
