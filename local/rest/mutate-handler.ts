import { sql, type RawBuilder } from "kysely";
import { appliedPreferences } from "./preferences.ts";
import { bodyFor, jsonRows } from "./json-result.ts";
import { CONTENT_TYPES } from "./media.ts";
import { invalidBody, notImplemented, payloadColumnNotFound, tableNotFound } from "./pgrst-error.ts";
import { contentRange } from "./range.ts";
import { asIdentity } from "./request-role.ts";
import type { RestRequest, RestResponse } from "./rest-context.ts";
import type { Relation } from "./schema-catalog.ts";
import { selectList, whereClause, type Target } from "./sql-fragments.ts";

/**
 * POST (insert, upsert), PATCH and DELETE on a table, built as PostgREST builds them (QueryBuilder.hs
 * mutatePlanToQuery): the statement is a CTE `pgrst_source`, the body is json_populate_record(set) of
 * the table's row type bound as one JSON parameter, and `select=` applies to the returned rows. The
 * statement and the read of its result are one transaction: PGRST116 on a singular answer rolls it back.
 */
type Sql = RawBuilder<unknown>;

export async function mutateRelation(req: RestRequest, table: string): Promise<RestResponse> {
  const relation = await req.catalog.relation(table);
  if (relation === undefined) throw tableNotFound(table);
  if (req.method !== "POST" && (req.query.limit !== undefined || req.query.offset !== undefined))
    throw notImplemented("limit and offset on PATCH and DELETE are not served by the local REST stand-in");
  const representation = req.prefs.return === "representation";
  const returned: Target = { name: relation.name, alias: "pgrst_source", columns: relation.columns };
  const me: Target = { name: relation.name, alias: relation.name, columns: relation.columns };
  const returning = representation
    ? sql`returning ${sql.join([...relation.columns.keys()].map((c) => sql.id(relation.name, c)))}`
    : sql`returning 1`;

  let statement: Sql;
  let upsertMerge = false;
  if (req.method === "POST") {
    const insert = insertStatement(req, relation);
    statement = sql`${insert.sql} ${returning}${insert.merge ? sql`, (xmax = 0) as pgrst_inserted` : sql``}`;
    upsertMerge = insert.merge;
  } else if (req.method === "PATCH") {
    statement = updateStatement(req, relation, me, returning);
  } else {
    statement = sql`delete from ${sql.id("public", relation.name)} as ${sql.id(relation.name)}
      ${whereClause(req.query.conditions, me)} ${returning}`;
  }
  const source = representation
    ? sql`select ${selectList(req.query.select, returned)} from pgrst_source`
    : sql`select 1 from pgrst_source`;

  const rows = await asIdentity(
    req.db,
    req.identity,
    { readOnly: false, statementTimeoutMs: req.statementTimeoutMs },
    async (tx) => {
      const rows = await jsonRows(tx, source, {
        cte: sql`with pgrst_source as (${statement})`,
        inserted: upsertMerge ? sql`(select count(*) from pgrst_source where pgrst_inserted)` : sql`0`,
      });
      if (representation) bodyFor(req.media, rows);
      return rows;
    },
  );

  const total = req.prefs.count === undefined ? undefined : rows.rows;
  const headers: Record<string, string> = {
    "content-range":
      req.method === "PATCH" ? contentRange(0, rows.rows, total) : `*/${total === undefined ? "*" : total}`,
    ...appliedPreferences(
      req.prefs,
      req.method === "POST" ? ["resolution", "return", "count", "missing"] : ["return", "count"],
    ),
  };
  // PostgREST answers an upsert that inserted nothing 200, any other insert 201.
  const created = upsertMerge && rows.inserted <= 0 ? 200 : 201;
  if (!representation) return { status: req.method === "POST" ? created : 204, headers, body: null };
  headers["content-type"] = CONTENT_TYPES[req.media];
  const body = bodyFor(req.media, rows);
  if (req.method !== "POST") return { status: 200, headers, body };
  return { status: created, headers, body };
}

/** The body's rows and the columns written: `columns=` when given, else the (uniform) keys of the rows. */
function payload(
  req: RestRequest,
  relation: Relation,
): { rows: Record<string, unknown>[]; columns: string[] } {
  const body = req.body;
  let rows: Record<string, unknown>[];
  if (Array.isArray(body)) rows = body as Record<string, unknown>[];
  else if (typeof body === "object" && body !== null) rows = [body as Record<string, unknown>];
  else rows = []; // PostgREST truncates any other JSON to an empty array
  if (rows.some((r) => typeof r !== "object" || r === null || Array.isArray(r)))
    throw invalidBody("All object keys must match");
  let columns = req.query.columns;
  if (columns === undefined) {
    columns = rows.length === 0 ? [] : Object.keys(rows[0]);
    const canonical = [...columns].sort().join("\u0000");
    if (rows.some((r) => Object.keys(r).sort().join("\u0000") !== canonical))
      throw invalidBody("All object keys must match");
  }
  for (const c of columns) if (!relation.columns.has(c)) throw payloadColumnNotFound(relation.name, c);
  return { rows, columns: [...new Set(columns)] };
}

function insertStatement(req: RestRequest, relation: Relation): { sql: Sql; merge: boolean } {
  const { rows, columns } = payload(req, relation);
  const table = sql`${sql.id("public", relation.name)} as ${sql.id(relation.name)}`;
  const rowType = sql.id("public", relation.name);
  const names = sql.join(columns.map((c) => sql.id(c)));
  const into = columns.length === 0 ? sql`` : sql`(${names})`;
  let values: Sql;
  if (req.prefs.missing === "default" && columns.length > 0) {
    // Per row, a key the row lacks is DEFAULT rather than NULL.
    values = sql`values ${sql.join(
      rows.map(
        (row) =>
          sql`(${sql.join(
            columns.map((c) =>
              c in row
                ? sql`(select pgrst_body.${sql.id(c)} from json_populate_record(null::${rowType}, ${JSON.stringify(row)}::text::json) pgrst_body)`
                : sql`default`,
            ),
          )})`,
      ),
    )}`;
    if (rows.length === 0)
      values = sql`select ${names} from json_populate_recordset(null::${rowType}, '[]') pgrst_body`;
  } else {
    values = sql`select ${columns.length === 0 ? sql`` : names} from json_populate_recordset(null::${rowType}, ${JSON.stringify(rows)}::text::json) pgrst_body`;
  }

  const resolution = req.prefs.resolution;
  const conflictColumns = req.query.onConflict ?? relation.primaryKey;
  let conflict: Sql = sql``;
  if (resolution !== undefined && conflictColumns.length > 0) {
    for (const c of conflictColumns)
      if (!relation.columns.has(c)) throw payloadColumnNotFound(relation.name, c);
    const target = sql.join(conflictColumns.map((c) => sql.id(c)));
    conflict =
      resolution === "ignore-duplicates" || columns.length === 0
        ? sql`on conflict (${target}) do nothing`
        : sql`on conflict (${target}) do update set ${sql.join(columns.map((c) => sql`${sql.id(c)} = excluded.${sql.id(c)}`))}`;
  }
  return {
    sql: sql`insert into ${table} ${into} ${values} ${conflict}`,
    merge: resolution === "merge-duplicates" && conflictColumns.length > 0 && columns.length > 0,
  };
}

function updateStatement(req: RestRequest, relation: Relation, me: Target, returning: Sql): Sql {
  const body = req.body;
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw invalidBody("A PATCH body must be one JSON object");
  const given = req.query.columns ?? Object.keys(body);
  for (const c of given) if (!relation.columns.has(c)) throw payloadColumnNotFound(relation.name, c);
  const where = whereClause(req.query.conditions, me);
  if (given.length === 0) {
    // No column to set: PostgREST selects nothing from the table rather than writing `set` with nothing.
    const cols = sql.join([...relation.columns.keys()].map((c) => sql.id(relation.name, c)));
    return sql`select ${cols} from ${sql.id("public", relation.name)} as ${sql.id(relation.name)} where false`;
  }
  const rowType = sql.id("public", relation.name);
  return sql`update ${sql.id("public", relation.name)} as ${sql.id(relation.name)}
    set ${sql.join(given.map((c) => sql`${sql.id(c)} = pgrst_body.${sql.id(c)}`))}
    from (select * from json_populate_record(null::${rowType}, ${JSON.stringify(body)}::text::json)) pgrst_body
    ${where} ${returning}`;
}
