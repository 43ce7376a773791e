import { sql, type RawBuilder } from "kysely";
import type { Tx } from "../../shared/platform/db.ts";
import { singularity } from "./pgrst-error.ts";
import type { Media } from "./media.ts";

/**
 * Rows turned into the response body by PostgreSQL itself, with json_agg as PostgREST does, so numbers,
 * timestamps and json columns come out exactly as PostgREST would print them.
 */
export interface JsonRows {
  /** The JSON array of all rows. */
  body: string;
  /** The only row as a JSON object, when there is exactly one. */
  one: string | null;
  rows: number;
  /** Rows the statement inserted (insert … on conflict do update: rows that were not updates). */
  inserted: number;
}

/**
 * `source` is a select over `cte` (a data-modifying `with …` for mutations, or nothing); `inserted` an
 * expression over the same CTE counting the rows that were inserted.
 */
export async function jsonRows(
  tx: Tx,
  source: RawBuilder<unknown>,
  options: { cte?: RawBuilder<unknown>; inserted?: RawBuilder<unknown>; scalar?: boolean } = {},
): Promise<JsonRows> {
  // A function's scalar result is aggregated bare, not as a one-column row.
  const item = options.scalar ? sql`pgrst_t.pgrst_scalar` : sql`pgrst_t`;
  const result = await sql<JsonRows>`
    ${options.cte ?? sql``}
    select coalesce(json_agg(${item})::text, '[]') as body,
           case when count(*) = 1 then (json_agg(${item}) -> 0)::text end as one,
           count(*)::int as rows, ${options.inserted ?? sql`0`}::int as inserted
      from (${source}) pgrst_t`.execute(tx);
  return result.rows[0];
}

/** The body in the negotiated media type; for one object, exactly one row or PGRST116. */
export function bodyFor(media: Media, rows: JsonRows): string {
  if (media === "json") return rows.body;
  if (rows.one === null) throw singularity(rows.rows);
  return rows.one;
}
