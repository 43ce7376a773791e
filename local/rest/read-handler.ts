import { sql } from "kysely";
import { asIdentity } from "./request-role.ts";
import { appliedPreferences } from "./preferences.ts";
import { bodyFor, jsonRows } from "./json-result.ts";
import { CONTENT_TYPES } from "./media.ts";
import { tableNotFound } from "./pgrst-error.ts";
import { contentRange, readStatus, rowWindow } from "./range.ts";
import type { RestRequest, RestResponse } from "./rest-context.ts";
import { orderClause, selectList, whereClause, type Target } from "./sql-fragments.ts";

/** GET and HEAD on a table or view: one READ ONLY transaction, the page and (Prefer: count) the total. */
export async function readRelation(req: RestRequest, table: string): Promise<RestResponse> {
  const relation = await req.catalog.relation(table);
  if (relation === undefined) throw tableNotFound(table);
  const target: Target = { name: relation.name, alias: relation.name, columns: relation.columns };
  const window = rowWindow({
    rangeHeader: req.rangeHeader,
    limit: req.query.limit,
    offset: req.query.offset,
    maxRows: req.maxRows,
  });
  // Built before the transaction opens: an unknown column is refused without touching the database.
  const from = sql`from ${sql.id("public", relation.name)} as ${sql.id(relation.name)} ${whereClause(req.query.conditions, target)}`;
  const page = sql`select ${selectList(req.query.select, target)} ${from} ${orderClause(req.query.order, target)}
    ${window.limit === undefined ? sql`` : sql`limit ${window.limit}`} offset ${window.offset}`;
  const counted = req.prefs.count !== undefined;

  const { rows, total } = await asIdentity(
    req.db,
    req.identity,
    { readOnly: true, statementTimeoutMs: req.statementTimeoutMs },
    async (tx) => {
      const rows = await jsonRows(tx, page);
      const total = counted
        ? (await sql<{ n: number }>`select count(*)::int as n ${from}`.execute(tx)).rows[0].n
        : undefined;
      return { rows, total };
    },
  );
  const status = readStatus(window.offset, rows.rows, total);
  const body = bodyFor(req.media, rows);
  return {
    status,
    headers: {
      "content-type": CONTENT_TYPES[req.media],
      "content-range": contentRange(window.offset, rows.rows, total),
      ...appliedPreferences(req.prefs, ["count"]),
    },
    body: req.method === "HEAD" ? null : body,
  };
}
