import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { synthError } from "../../shared/errors.ts";

/**
 * Applies supabase/migrations/*.sql the way the Supabase CLI does (`supabase db push`): versions recorded
 * in supabase_migrations.schema_migrations, so the CLI and this command agree about what is applied
 * whichever ran first. All pending files run in one transaction: a failing file leaves the database as it
 * was before the run, with nothing half-applied. On a vanilla PostgreSQL the local bootstrap (the parts
 * of Supabase that migrations rely on) is applied first, and only where missing.
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../supabase/migrations/", import.meta.url));
export const BOOTSTRAP_SQL = fileURLToPath(new URL("./bootstrap.sql", import.meta.url));

export interface MigrateOptions {
  migrationsDir?: string;
  /** Apply the local Supabase bootstrap where auth/storage are missing (default true). */
  bootstrap?: boolean;
  log?: (line: string) => void;
}

export interface MigrateResult {
  bootstrapped: boolean;
  applied: string[];
  skipped: string[];
}

interface MigrationFile {
  version: string;
  name: string;
  path: string;
}

const MIGRATION_FILE = /^(\d+)_(.+)\.sql$/;

export async function listMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  return files.map((file) => {
    const match = MIGRATION_FILE.exec(file);
    if (!match) {
      throw synthError("MIGRATION_FAILED", `migration file ${file} is not named <version>_<name>.sql`, {
        file,
      });
    }
    return { version: match[1], name: match[2], path: `${dir}/${file}` };
  });
}

/** True when the database lacks what Supabase provides (a vanilla PostgreSQL). */
async function needsBootstrap(sql: postgres.TransactionSql): Promise<boolean> {
  const [row] = await sql<{ ok: boolean }[]>`
    select to_regclass('auth.users') is not null
       and to_regclass('auth.sessions') is not null
       and to_regclass('auth.refresh_tokens') is not null
       and to_regclass('storage.objects') is not null
       and to_regclass('storage.buckets') is not null
       and to_regprocedure('auth.uid()') is not null
       and to_regprocedure('auth.jwt()') is not null
       and exists (select 1 from pg_roles where rolname = 'authenticated')
       and exists (select 1 from pg_publication where pubname = 'supabase_realtime') as ok`;
  return !row.ok;
}

/** Applies the local Supabase bootstrap inside tx when the database lacks it; returns whether it had to. */
async function bootstrapIfMissing(tx: postgres.TransactionSql): Promise<boolean> {
  if (!(await needsBootstrap(tx))) return false;
  await tx.unsafe(await readFile(BOOTSTRAP_SQL, "utf8"));
  return true;
}

/** One migrator at a time per database: concurrent test workers or runners would otherwise race. */
async function withMigrationLock<T>(
  databaseUrl: string,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    return (await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('synth:migrate'))`;
      return fn(tx);
    })) as T;
  } finally {
    await sql.end();
  }
}

/** Applies only the local Supabase bootstrap (where missing); returns whether it had to. */
export async function bootstrap(databaseUrl: string): Promise<boolean> {
  return withMigrationLock(databaseUrl, bootstrapIfMissing);
}

/** Creates the database named in the URL when it does not exist (the embedded default's first run). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = "/postgres";
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length > 0) return false;
    await sql.unsafe(`create database "${name.replaceAll('"', '""')}"`);
    return true;
  } finally {
    await sql.end();
  }
}

export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  const migrations = await listMigrations(options.migrationsDir);
  return withMigrationLock(databaseUrl, async (tx) => {
    let bootstrapped = false;
    if (options.bootstrap !== false && (await bootstrapIfMissing(tx))) {
      bootstrapped = true;
      log("applied local Supabase bootstrap");
    }
    // Same table and columns the Supabase CLI creates, so either tool sees the other's work.
    await tx.unsafe(`
      create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
      alter table supabase_migrations.schema_migrations add column if not exists statements text[];
      alter table supabase_migrations.schema_migrations add column if not exists name text;`);
    const done = new Set(
      (await tx<{ version: string }[]>`select version from supabase_migrations.schema_migrations`).map(
        (r) => r.version,
      ),
    );
    const applied: string[] = [];
    const skipped: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) {
        skipped.push(m.version);
        continue;
      }
      const text = await readFile(m.path, "utf8");
      try {
        await tx.unsafe(text);
        await tx`insert into supabase_migrations.schema_migrations (version, name, statements)
                 values (${m.version}, ${m.name}, ${[text]})`;
      } catch (error) {
        throw synthError(
          "MIGRATION_FAILED",
          `migration ${m.version}_${m.name} failed: ${(error as Error).message}`,
          { version: m.version },
          error,
        );
      }
      applied.push(m.version);
      log(`applied ${m.version}_${m.name}`);
    }
    return { bootstrapped, applied, skipped };
  });
}
