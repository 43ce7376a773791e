import { sql } from "kysely";
import { bodyFor, jsonRows } from "./json-result.ts";
import { CONTENT_TYPES } from "./media.ts";
import { invalidBody, PgrstError } from "./pgrst-error.ts";
import { appliedPreferences } from "./preferences.ts";
import { contentRange, readStatus, rowWindow } from "./range.ts";
import { asIdentity } from "./request-role.ts";
import type { RestRequest, RestResponse } from "./rest-context.ts";
import type { Routine } from "./schema-catalog.ts";
import { orderClause, selectList, whereClause, type Target } from "./sql-fragments.ts";

/**
 * `/rpc/<fn>`: named arguments from the JSON body (POST) or the query string (GET/HEAD), typed by
 * json_to_record with the catalog's argument types, the call LATERAL over it (callPlanToQuery). The answer
 * is shaped as PostgREST shapes it: a scalar as the value, a set of scalars as an array, one composite as
 * an object, a set of rows as an array (where select, filters, order and paging apply), void as 204.
 */
export async function callRoutine(req: RestRequest, name: string): Promise<RestResponse> {
  const args = argumentsOf(req);
  const routine = pickRoutine(
    await req.catalog.routines(name),
    name,
    Object.keys(args),
    req.method === "POST",
  );
  const readOnly = req.method !== "POST" || !routine.volatile;

  const passed = routine.args.filter((a) => a.name in args);
  const call =
    passed.length === 0
      ? sql`${sql.id("public", routine.name)}()`
      : sql`${sql.id("public", routine.name)}(${sql.join(passed.map((a) => sql`${sql.id(a.name)} := pgrst_body.${sql.id(a.name)}`))})`;
  // Argument types come from pg_catalog (format_type), never from the request.
  const from =
    passed.length === 0
      ? sql`from`
      : sql`from json_to_record(${JSON.stringify(args)}::text::json) as pgrst_body(${sql.join(
          passed.map((a) => sql`${sql.id(a.name)} ${sql.raw(a.type)}`),
        )}), lateral`;

  const rowsShaped = routine.returns === "composite";
  const target: Target = { name: routine.name, alias: "pgrst_call", columns: routine.columns };
  const window = rowWindow({
    rangeHeader: req.method === "POST" ? undefined : req.rangeHeader,
    limit: req.query.limit,
    offset: req.query.offset,
    maxRows: routine.set ? req.maxRows : undefined,
  });
  const page = rowsShaped
    ? sql`select ${selectList(req.query.select, target)} ${from} ${call} as pgrst_call
        ${whereClause(req.query.conditions, target)} ${orderClause(req.query.order, target)}
        ${window.limit === undefined ? sql`` : sql`limit ${window.limit}`} offset ${window.offset}`
    : sql`select pgrst_call.pgrst_scalar ${from} ${call} as pgrst_call(pgrst_scalar)`;
  if (!rowsShaped && (req.query.conditions.length > 0 || req.query.order.length > 0))
    throw new PgrstError(
      400,
      "PGRST127",
      "Feature not implemented",
      "filters and order apply only to functions returning rows",
    );

  const result = await asIdentity(
    req.db,
    req.identity,
    { readOnly, statementTimeoutMs: req.statementTimeoutMs },
    (tx) => jsonRows(tx, page, { scalar: !rowsShaped }),
  );
  const headers: Record<string, string> = appliedPreferences(req.prefs, ["count"]);
  if (routine.returns === "void") return { status: 204, headers, body: null };

  const total = req.prefs.count === undefined ? undefined : result.rows;
  headers["content-range"] = contentRange(window.offset, result.rows, total);
  headers["content-type"] = CONTENT_TYPES[req.media];
  // One value or one composite is answered bare (null when the call gave nothing), a set as an array.
  const body =
    req.media === "object" ? bodyFor("object", result) : routine.set ? result.body : (result.one ?? "null");
  const status = routine.set ? readStatus(window.offset, result.rows, total) : 200;
  return { status, headers, body: req.method === "HEAD" ? null : body };
}

function argumentsOf(req: RestRequest): Record<string, unknown> {
  if (req.method !== "POST") return Object.fromEntries(req.query.args);
  const body = req.body ?? {};
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw invalidBody("The arguments of a function call must be one JSON object");
  return body as Record<string, unknown>;
}

/** The overload whose argument names cover the keys given, with every argument lacking a default given. */
function pickRoutine(candidates: Routine[], name: string, keys: string[], post: boolean): Routine {
  const given = new Set(keys);
  const fits = candidates.filter(
    (r) =>
      keys.every((k) => r.args.some((a) => a.name === k)) &&
      r.args.every((a) => a.hasDefault || given.has(a.name)),
  );
  if (fits.length === 1) return fits[0];
  const fn = `public.${name}`;
  const sorted = [...keys].sort();
  if (fits.length === 0) {
    const params = sorted.length === 0 ? " without parameters" : `(${sorted.join(", ")})`;
    const searched =
      sorted.length === 0
        ? " without parameters"
        : ` with parameter${sorted.length > 1 ? "s" : ""} ${sorted.join(", ")}`;
    throw new PgrstError(
      404,
      "PGRST202",
      `Could not find the function ${fn}${params} in the schema cache`,
      `Searched for the function ${fn}${searched}${post ? " or with a single unnamed json/jsonb parameter" : ""}, but no matches were found in the schema cache.`,
    );
  }
  throw new PgrstError(
    300,
    "PGRST203",
    `Could not choose the best candidate function between: ${fits
      .map((r) => `${fn}(${r.args.map((a) => `${a.name} => ${a.type}`).join(", ")})`)
      .join(", ")}`,
    null,
    "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
  );
}
