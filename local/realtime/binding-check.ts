import { sql } from "kysely";
import type { Db } from "../../shared/platform/db.ts";
import type { Binding } from "./binding.ts";
import { filterExpression } from "./postgres-filter.ts";
import type { TableCatalog } from "./table-catalog.ts";

/**
 * What the real server's subscription insert checks before it answers "Subscribed to PostgreSQL": the
 * table exists, every filter names one of its columns, and every filter value casts to that column's type
 * (realtime.subscription_check_filters). Returns the error the system message carries, or null.
 */
export async function checkBindings(
  db: Db,
  catalog: TableCatalog,
  role: string,
  bindings: Binding[],
): Promise<string | null> {
  for (const binding of bindings) {
    if (binding.schema === "*" || binding.table === "*") continue;
    const unable = (why: string) =>
      `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: ${JSON.stringify(binding.echo)}: ${why}`;
    const table = await catalog.describe(binding.schema, binding.table, role);
    if (table === null) return unable(`relation "${binding.schema}.${binding.table}" does not exist`);
    const byName = new Map(table.columns.map((c) => [c.name, c]));
    const unknownSelect = binding.select?.find((name) => !byName.has(name));
    if (unknownSelect !== undefined) return unable(`invalid column for select ${unknownSelect}`);
    const expressions = [];
    for (const filter of binding.filters) {
      const column = byName.get(filter.column);
      if (column === undefined) return unable(`invalid column for filter ${filter.column}`);
      expressions.push(filterExpression(filter, column.sqlType));
    }
    if (expressions.length === 0) continue;
    try {
      // Evaluated over an empty row of the table's type: only the casts of the values can fail.
      await sql`select ${sql.join(expressions)} from jsonb_populate_record(null::${sql.id(table.schema, table.table)}, '{}'::jsonb) as t`.execute(
        db,
      );
    } catch (error) {
      return unable(error instanceof Error ? error.message : String(error));
    }
  }
  return null;
}
