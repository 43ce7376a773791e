import { sql, type RawBuilder } from "kysely";
import type { Db } from "../../shared/platform/db.ts";
import type { Logger } from "../../shared/platform/logger.ts";
import type { Binding } from "./binding.ts";
import type { CapturedChange } from "./change-event.ts";
import { filterExpression } from "./postgres-filter.ts";
import type { RealtimeClaims } from "./realtime-token.ts";
import { asSubscriber } from "./subscriber-session.ts";
import type { TableCatalog, TableColumn, TableDescription } from "./table-catalog.ts";

/**
 * Turns one captured change into what one subscriber may receive, as apply_rls.sql does it: for INSERTs and
 * UPDATEs the record is the row as the change left it, sent only if the row, looked up by primary key AS
 * the subscriber (role and claims set, so RLS decides), is visible to them, with the bindings' filters
 * judged on the change's values in the same query. A change whose values are no longer in the log is
 * re-read whole instead, so the subscriber hears of it in the row's state of the moment. DELETEs are not
 * RLS-checked and carry only the primary key (replica identity default), their filters judged on the key
 * columns alone.
 */
export interface PostgresChangesPayload {
  ids: number[];
  data: {
    schema: string;
    table: string;
    commit_timestamp: string;
    type: CapturedChange["type"];
    columns: { name: string; type: string }[];
    record?: Record<string, unknown>;
    old_record?: Record<string, unknown>;
    errors: null;
  };
}

// jsonb_build_object takes at most 100 arguments: build wide rows in pieces.
const COLUMNS_PER_OBJECT = 40;

const keyText = (value: unknown): string | null =>
  value === null || value === undefined ? null : typeof value === "string" ? value : JSON.stringify(value);

function recordExpression(columns: TableColumn[]): RawBuilder<Record<string, unknown>> {
  const pieces: RawBuilder<unknown>[] = [];
  for (let i = 0; i < columns.length; i += COLUMNS_PER_OBJECT) {
    const args = columns
      .slice(i, i + COLUMNS_PER_OBJECT)
      .flatMap((c) => [sql`${c.name}::text`, sql.id("t", c.name)]);
    pieces.push(sql`jsonb_build_object(${sql.join(args)})`);
  }
  return sql<Record<string, unknown>>`(${sql.join(pieces, sql` || `)})`;
}

/** The filter expressions of a binding the query can evaluate; false when one names a hidden column. */
function bindingCondition(
  binding: Binding,
  byName: Map<string, TableColumn>,
  onlyKeys: boolean,
): RawBuilder<boolean> | boolean {
  const parts: RawBuilder<boolean>[] = [];
  for (const filter of binding.filters) {
    const column = byName.get(filter.column);
    if (column === undefined || !column.selectable) return false;
    if (onlyKeys && !column.isPrimaryKey) continue;
    parts.push(filterExpression(filter, column.sqlType));
  }
  return parts.length === 0 ? true : sql<boolean>`(${sql.join(parts, sql` and `)})`;
}

const selectKey = (binding: Binding) => (binding.select === null ? "" : JSON.stringify(binding.select));

function pick(record: Record<string, unknown>, names: Set<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([name]) => names.has(name)));
}

export class ChangeReader {
  constructor(
    private readonly db: Db,
    private readonly catalog: TableCatalog,
    private readonly logger?: Logger,
  ) {}

  /** The messages (one per distinct `select`) for the subscriber's matching bindings; [] when none may see it. */
  async read(
    change: CapturedChange,
    claims: RealtimeClaims,
    bindings: Binding[],
  ): Promise<PostgresChangesPayload[]> {
    if (bindings.length === 0) return [];
    const table = await this.catalog.describe(change.schema, change.table, claims.role);
    if (table === null) return [];
    const keys = table.columns.filter((c) => c.isPrimaryKey);
    // Without the key (or the right to read it) no row can be identified for this role.
    if (keys.length === 0 || keys.some((k) => !k.selectable)) return [];
    const byName = new Map(table.columns.map((c) => [c.name, c]));
    try {
      const visible =
        change.type === "DELETE"
          ? await this.deleted(change, table, bindings, byName)
          : await this.reread(change, claims, table, bindings, byName, keys);
      if (visible === null) return [];
      return this.messages(change, table, visible.bindings, visible.record, keys);
    } catch (error) {
      this.logger?.log("warn", "local realtime: a change could not be read for a subscriber", {
        schema: change.schema,
        table: change.table,
        role: claims.role,
        error: error instanceof Error ? error.message : String(error),
      });
      return [];
    }
  }

  private async reread(
    change: CapturedChange,
    claims: RealtimeClaims,
    table: TableDescription,
    bindings: Binding[],
    byName: Map<string, TableColumn>,
    keys: TableColumn[],
  ): Promise<{ bindings: Binding[]; record: Record<string, unknown> } | null> {
    const pk = change.pk;
    if (pk === null) return null;
    const keyConditions = keys.map((k) => {
      const value = keyText(pk[k.name]);
      return value === null
        ? sql<boolean>`false`
        : sql<boolean>`${sql.id("t", k.name)} = cast(${value}::text as ${sql.raw(k.sqlType)})`;
    });
    const conditions = bindings.map((b) => bindingCondition(b, byName, false));
    const flags = conditions.map((c, i) =>
      typeof c === "boolean"
        ? sql`${sql.raw(String(c))} as ${sql.id(`b${i}`)}`
        : sql`${c} as ${sql.id(`b${i}`)}`,
    );
    const selectable = table.columns.filter((c) => c.selectable);
    const relation = sql.id(table.schema, table.table);
    const byKey = sql.join(keyConditions, sql` and `);
    // The logged values go through the table's row type, so the record and the filters see them typed as
    // a re-read row would be; the lookup by key (its own `t`) decides whether the subscriber sees the row.
    const query =
      change.record === null
        ? sql<Record<string, unknown>>`
      select ${recordExpression(selectable)} as record, ${sql.join(flags)}
        from ${relation} as t
       where ${byKey}`
        : sql<Record<string, unknown>>`
      select ${recordExpression(selectable)} as record, ${sql.join(flags)}
        from jsonb_populate_record(null::${relation}, cast(${JSON.stringify(change.record)}::text as jsonb)) as t
       where exists (select 1 from ${relation} as t where ${byKey})`;
    const { rows } = await asSubscriber(this.db, claims, (tx) => query.execute(tx));
    if (rows.length === 0) return null;
    const row = rows[0];
    const matched = bindings.filter((_, i) => row[`b${i}`] === true);
    return matched.length === 0 ? null : { bindings: matched, record: row.record as Record<string, unknown> };
  }

  private async deleted(
    change: CapturedChange,
    table: TableDescription,
    bindings: Binding[],
    byName: Map<string, TableColumn>,
  ): Promise<{ bindings: Binding[]; record: Record<string, unknown> } | null> {
    const old = change.old_pk;
    if (old === null) return null;
    const conditions = bindings.map((b) => bindingCondition(b, byName, true));
    const pending = conditions.flatMap((c, i) => (typeof c === "boolean" ? [] : [{ c, i }]));
    const verdict = conditions.map((c) => c === true);
    if (pending.length > 0) {
      // The row is gone: the filters see a row of the table's type holding only the old key.
      const { rows } = await sql<Record<string, unknown>>`
        select ${sql.join(pending.map(({ c, i }) => sql`${c} as ${sql.id(`b${i}`)}`))}
          from jsonb_populate_record(null::${sql.id(table.schema, table.table)}, cast(${JSON.stringify(old)}::text as jsonb)) as t`.execute(
        this.db,
      );
      for (const { i } of pending) verdict[i] = rows[0]?.[`b${i}`] === true;
    }
    const matched = bindings.filter((_, i) => verdict[i]);
    return matched.length === 0 ? null : { bindings: matched, record: old };
  }

  private messages(
    change: CapturedChange,
    table: TableDescription,
    bindings: Binding[],
    record: Record<string, unknown>,
    keys: TableColumn[],
  ): PostgresChangesPayload[] {
    const groups = new Map<string, Binding[]>();
    for (const b of bindings) groups.set(selectKey(b), [...(groups.get(selectKey(b)) ?? []), b]);
    const keyNames = new Set(keys.map((k) => k.name));
    const oldKey = change.old_pk === null ? {} : pick(change.old_pk, keyNames);
    return [...groups.values()].map((group) => {
      const select = group[0].select;
      const shown = table.columns.filter(
        (c) => c.selectable && (select === null || select.includes(c.name) || c.isPrimaryKey),
      );
      const names = new Set(shown.map((c) => c.name));
      const data: PostgresChangesPayload["data"] = {
        schema: change.schema,
        table: change.table,
        commit_timestamp: change.commit_timestamp,
        type: change.type,
        columns: shown.map((c) => ({ name: c.name, type: c.type })),
        errors: null,
      };
      if (change.type !== "DELETE") data.record = pick(record, names);
      if (change.type !== "INSERT") data.old_record = oldKey;
      return { ids: group.map((b) => b.id), data };
    });
  }
}
