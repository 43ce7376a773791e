import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

/**
 * Supabase Studio shows a table's, column's and function's comment beside it: every object of public
 * carries one (supabase/migrations/20261202001500_comments.sql), and a migration that adds an object
 * without its comment fails here.
 */
let su: postgres.Sql;
beforeAll(() => {
  su = postgres(inject("databaseUrl"), { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await su.end();
});

const described = (comment: string) => `nullif(btrim(${comment}), '') is not null`;

describe("comments for Studio", () => {
  it("describe every table and view of public", async () => {
    const missing = await su<{ name: string }[]>`
      select c.relname as name from pg_class c
       where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
         and not ${su.unsafe(described("obj_description(c.oid, 'pg_class')"))}
       order by 1`;
    expect(missing.map((m) => m.name)).toEqual([]);
  });

  it("describe every column of every table and view of public", async () => {
    const missing = await su<{ name: string }[]>`
      select c.relname || '.' || a.attname as name
        from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
         and not ${su.unsafe(described("col_description(c.oid, a.attnum)"))}
       order by 1`;
    expect(missing.map((m) => m.name)).toEqual([]);
  });

  it("describe every function of public (extensions' own excepted)", async () => {
    const missing = await su<{ name: string }[]>`
      select p.oid::regprocedure::text as name from pg_proc p
       where p.pronamespace = 'public'::regnamespace
         and not exists (select 1 from pg_depend d
                          where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
         and not ${su.unsafe(described("obj_description(p.oid, 'pg_proc')"))}
       order by 1`;
    expect(missing.map((m) => m.name)).toEqual([]);
    const [{ n }] = await su<{ n: number }[]>`
      select count(*)::int as n from pg_proc where pronamespace = 'public'::regnamespace`;
    expect(n).toBeGreaterThanOrEqual(40);
  });

  it("tell Studio users how to approve or reject from the SQL editor", async () => {
    const [row] = await su<{ decide: string; studio: string }[]>`
      select obj_description('public.decide_generation_request(uuid, boolean, text)'::regprocedure, 'pg_proc') as decide,
             obj_description('public.studio_decide_generation_request(uuid, boolean, text, uuid)'::regprocedure, 'pg_proc') as studio`;
    expect(row.decide).toContain("select public.studio_decide_generation_request(");
    expect(row.studio).toContain("select public.studio_decide_generation_request(");
  });
});
