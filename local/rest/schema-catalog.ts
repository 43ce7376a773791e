import { sql } from "kysely";
import type { Db } from "../../shared/platform/db.ts";

/**
 * PostgREST's schema cache, for schema `public` only: tables, views and their columns, and callable
 * functions with their named arguments and result shape. As in PostgREST it lists everything in the
 * schema, whatever the caller may see: privileges are PostgreSQL's to refuse (42501), so the answer for a
 * table the role may not read is the same as PostgREST's. A name that is not found reloads the cache (at
 * most once a second), so tables created after start appear without a restart.
 */

export interface Column {
  name: string;
  /** format_type() of the column: only ever used as a cast target, never taken from the request. */
  type: string;
}

export interface Relation {
  name: string;
  columns: Map<string, Column>;
  primaryKey: string[];
}

export interface RoutineArg {
  name: string;
  type: string;
  hasDefault: boolean;
}

export interface Routine {
  name: string;
  args: RoutineArg[];
  /** `composite`: a row type or OUT/TABLE columns (`columns`); `scalar`: anything else; `void`: nothing. */
  returns: "void" | "scalar" | "composite";
  set: boolean;
  volatile: boolean;
  columns: Map<string, Column>;
}

export interface SchemaCatalog {
  relation(name: string): Promise<Relation | undefined>;
  routines(name: string): Promise<Routine[]>;
}

interface Snapshot {
  relations: Map<string, Relation>;
  routines: Map<string, Routine[]>;
}

const RELOAD_INTERVAL_MS = 1000;

export function createSchemaCatalog(db: Db): SchemaCatalog {
  let snapshot: Promise<Snapshot> | undefined;
  let loadedAt = 0;
  const load = (): Promise<Snapshot> => {
    loadedAt = Date.now();
    const next = loadSnapshot(db);
    // A failed load is not cached: the next request tries again.
    next.catch(() => {
      if (snapshot === next) snapshot = undefined;
    });
    snapshot = next;
    return next;
  };
  const lookup = async <T>(pick: (s: Snapshot) => T | undefined): Promise<T | undefined> => {
    const found = pick(await (snapshot ?? load()));
    if (found !== undefined || Date.now() - loadedAt < RELOAD_INTERVAL_MS) return found;
    return pick(await load());
  };
  return {
    relation: (name) => lookup((s) => s.relations.get(name)),
    routines: async (name) => (await lookup((s) => s.routines.get(name))) ?? [],
  };
}

async function loadSnapshot(db: Db): Promise<Snapshot> {
  const columns = await sql<{ relation: string; name: string; type: string; pk: boolean }>`
    select c.relname as relation, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
           coalesce(a.attnum = any (pk.conkey), false) as pk
      from pg_class c
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      left join pg_constraint pk on pk.conrelid = c.oid and pk.contype = 'p'
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'm', 'p', 'f')
     order by c.relname, a.attnum`.execute(db);
  const relations = new Map<string, Relation>();
  for (const row of columns.rows) {
    let relation = relations.get(row.relation);
    if (relation === undefined) {
      relation = { name: row.relation, columns: new Map(), primaryKey: [] };
      relations.set(row.relation, relation);
    }
    relation.columns.set(row.name, { name: row.name, type: row.type });
    if (row.pk) relation.primaryKey.push(row.name);
  }

  const functions = await sql<{
    name: string;
    set: boolean;
    volatile: boolean;
    void: boolean;
    row_type: string | null;
    ndefaults: number;
    args: { name: string | null; type: string; mode: string }[];
    row_columns: { name: string; type: string }[] | null;
  }>`
    select p.proname as name, p.proretset as set, p.provolatile = 'v' as volatile,
           p.prorettype = 'void'::regtype as void, p.pronargdefaults as ndefaults,
           case when t.typtype = 'c' then t.typrelid::regclass::text end as row_type,
           coalesce((select json_agg(json_build_object('name', p.proargnames[a.i], 'type', format_type(a.ty, null),
                                                       'mode', coalesce(p.proargmodes[a.i], 'i')) order by a.i)
                       from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as a(ty, i)),
                    '[]') as args,
           (select json_agg(json_build_object('name', ra.attname, 'type', format_type(ra.atttypid, ra.atttypmod))
                            order by ra.attnum)
              from pg_attribute ra
             where t.typtype = 'c' and ra.attrelid = t.typrelid and ra.attnum > 0 and not ra.attisdropped) as row_columns
      from pg_proc p
      join pg_type t on t.oid = p.prorettype
     where p.pronamespace = 'public'::regnamespace and p.prokind = 'f'
       and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype)`.execute(db);
  const routines = new Map<string, Routine[]>();
  for (const f of functions.rows) {
    const inArgs = f.args.filter((a) => a.mode === "i" || a.mode === "b" || a.mode === "v");
    // PostgREST calls with named arguments only: a function with an unnamed one cannot be reached.
    if (inArgs.some((a) => a.name === null || a.name === "")) continue;
    const outArgs = f.args.filter((a) => a.mode === "o" || a.mode === "t" || a.mode === "b");
    const columns = new Map<string, Column>();
    for (const c of f.row_columns ??
      (outArgs.length > 1 || f.args.some((a) => a.mode === "t") ? outArgs : []))
      if (c.name !== null) columns.set(c.name, { name: c.name, type: c.type });
    const routine: Routine = {
      name: f.name,
      args: inArgs.map((a, i) => ({
        name: a.name as string,
        type: a.type,
        hasDefault: i >= inArgs.length - f.ndefaults,
      })),
      returns: f.void ? "void" : columns.size > 0 ? "composite" : "scalar",
      set: f.set,
      volatile: f.volatile,
      columns,
    };
    routines.set(f.name, [...(routines.get(f.name) ?? []), routine]);
  }
  return { relations, routines };
}
