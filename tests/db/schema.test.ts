import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { listMigrations, migrate } from "../../local/db/migrate.ts";
import { schema, views } from "../../shared/platform/schema.ts";
import type { ColumnSpec } from "../../shared/platform/column.ts";

let su: postgres.Sql;
beforeAll(() => {
  su = postgres(inject("databaseUrl"), { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await su.end();
});

describe("typed database interface", () => {
  it("matches information_schema: same tables and views, columns, types, nullability and defaults", async () => {
    const columns = await su<
      {
        table_name: string;
        column_name: string;
        data_type: string;
        is_nullable: string;
        column_default: string | null;
        is_identity: string;
      }[]
    >`select table_name, column_name, data_type, is_nullable, column_default, is_identity
        from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position`;
    const actual: Record<string, Record<string, string>> = {};
    for (const c of columns) {
      const generated = c.is_identity === "YES" ? "always" : c.column_default !== null ? "default" : "none";
      (actual[c.table_name] ??= {})[c.column_name] =
        `${c.data_type}${c.is_nullable === "YES" ? " null" : ""} ${generated}`;
    }
    const declared: Record<string, Record<string, string>> = {};
    for (const [table, cols] of Object.entries({ ...schema, ...views })) {
      declared[table] = {};
      for (const [name, spec] of Object.entries(
        cols as Record<string, ColumnSpec<unknown, boolean, "none" | "default" | "always">>,
      )) {
        declared[table][name] = `${spec.pgType}${spec.nullable ? " null" : ""} ${spec.generated}`;
      }
    }
    expect(declared).toEqual(actual);
  });
});

describe("migrations", () => {
  it("record one version per file, as the Supabase CLI does, and re-running applies nothing", async () => {
    const files = await listMigrations();
    const recorded = await su<{ version: string; name: string }[]>`
      select version, name from supabase_migrations.schema_migrations order by version`;
    expect(recorded.map((r) => `${r.version}_${r.name}`)).toEqual(files.map((f) => `${f.version}_${f.name}`));
    const again = await migrate(inject("databaseUrl"));
    expect(again).toEqual({ bootstrapped: false, applied: [], skipped: files.map((f) => f.version) });
  });

  it("enable row-level security on every table of public", async () => {
    const tables = await su<{ relname: string; relrowsecurity: boolean }[]>`
      select c.relname, c.relrowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p')`;
    expect(tables.length).toBeGreaterThanOrEqual(10);
    expect(tables.filter((t) => !t.relrowsecurity).map((t) => t.relname)).toEqual([]);
  });

  it("grant no role every row of user data (the only always-true policy is reading platform settings)", async () => {
    const open = await su<{ tablename: string; policyname: string }[]>`
      select tablename, policyname from pg_policies
       where schemaname in ('public', 'storage')
         and (qual = 'true' or with_check = 'true')`;
    expect(open).toEqual([
      { tablename: "platform_settings", policyname: "platform_settings: signed-in users read" },
    ]);
  });

  it("give anon no privilege on any table of public", async () => {
    const grants = await su<{ table_name: string; privilege_type: string }[]>`
      select table_name, privilege_type from information_schema.role_table_grants
       where table_schema = 'public' and grantee = 'anon'`;
    const columnGrants = await su<{ table_name: string }[]>`
      select table_name from information_schema.column_privileges where table_schema = 'public' and grantee = 'anon'`;
    expect(grants).toEqual([]);
    expect(columnGrants).toEqual([]);
  });

  it("index every column a policy filters on", async () => {
    const missing = await su<{ table_name: string; column_name: string }[]>`
      select t.relname as table_name, a.attname as column_name
        from pg_class t
        join pg_namespace n on n.oid = t.relnamespace and n.nspname = 'public'
        join pg_attribute a on a.attrelid = t.oid and a.attname in ('owner_id', 'user_id', 'admin_id')
       where t.relkind = 'r'
         and not exists (select 1 from pg_index i where i.indrelid = t.oid and i.indkey[0] = a.attnum)`;
    expect(missing).toEqual([]);
  });

  it("keep every bucket private with a size limit", async () => {
    const buckets = await su<{ id: string; public: boolean; file_size_limit: string | null }[]>`
      select id, public, file_size_limit from storage.buckets order by id`;
    expect(buckets.map((b) => b.id)).toEqual(["datasets", "models", "reports", "synthetic"]);
    for (const b of buckets) {
      expect(b.public).toBe(false);
      expect(Number(b.file_size_limit)).toBeGreaterThan(0);
    }
  });

  it("publish jobs and notifications to Realtime", async () => {
    const published = await su<{ tablename: string }[]>`
      select tablename from pg_publication_tables where pubname = 'supabase_realtime' order by tablename`;
    expect(published.map((p) => p.tablename)).toEqual(
      expect.arrayContaining(["generation_requests", "notifications", "optimization_trials"]),
    );
  });
});
