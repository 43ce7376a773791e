import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import postgres from "postgres";
import { synthError } from "../../shared/errors.ts";
import { createDb, type Db, type Tx } from "../../shared/platform/db.ts";

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

/** True when the database lacks what Supabase provides (a vanilla PostgreSQL, or PGlite). */
async function needsBootstrap(tx: Tx): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`
    select to_regclass('auth.users') is not null
       and to_regclass('auth.sessions') is not null
       and to_regclass('auth.refresh_tokens') is not null
       and to_regclass('storage.objects') is not null
       and to_regclass('storage.buckets') is not null
       and to_regprocedure('auth.uid()') is not null
       and to_regprocedure('auth.jwt()') is not null
       and exists (select 1 from pg_roles where rolname = 'authenticated')
       and exists (select 1 from pg_publication where pubname = 'supabase_realtime') as ok`.execute(tx);
  return !rows[0].ok;
}

/** Applies the local Supabase bootstrap inside tx when the database lacks it; returns whether it had to. */
async function bootstrapIfMissing(tx: Tx): Promise<boolean> {
  if (!(await needsBootstrap(tx))) return false;
  // No parameters: every driver sends it as one simple-protocol query, several statements in one text.
  await sql.raw(await readFile(BOOTSTRAP_SQL, "utf8")).execute(tx);
  return true;
}

/** One migrator at a time per database: concurrent test workers or runners would otherwise race. */
async function withMigrationLock<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext('synth:migrate'))`.execute(tx);
    return fn(tx);
  });
}

/** A short-lived kysely Db (postgres.js, one connection) for the commands that are given a URL. */
async function withUrl<T>(databaseUrl: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = createDb({ url: databaseUrl, maxConnections: 1 });
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/** Applies only the local Supabase bootstrap (where missing) over any Db; returns whether it had to. */
export async function bootstrapDb(db: Db): Promise<boolean> {
  return withMigrationLock(db, bootstrapIfMissing);
}

/** Applies only the local Supabase bootstrap (where missing); returns whether it had to. */
export async function bootstrap(databaseUrl: string): Promise<boolean> {
  return withUrl(databaseUrl, bootstrapDb);
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

/** `synth db migrate`: the migrations (and the bootstrap where missing) on the database at a URL. */
export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  return withUrl(databaseUrl, (db) => migrateDb(db, options));
}

/**
 * The same over a kysely Db of any driver (postgres.js, node-postgres, the embedded PGlite): what
 * `synth serve` runs at start on the database it was given.
 */
export async function migrateDb(db: Db, options: MigrateOptions = {}): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  const migrations = await listMigrations(options.migrationsDir);
  return withMigrationLock(db, async (tx) => {
    let bootstrapped = false;
    if (options.bootstrap !== false && (await bootstrapIfMissing(tx))) {
      bootstrapped = true;
      log("applied local Supabase bootstrap");
    }
    // Same table and columns the Supabase CLI creates, so either tool sees the other's work.
    await sql
      .raw(
        `create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
      alter table supabase_migrations.schema_migrations add column if not exists statements text[];
      alter table supabase_migrations.schema_migrations add column if not exists name text;`,
      )
      .execute(tx);
    const done = new Set(
      (
        await sql<{ version: string }>`select version from supabase_migrations.schema_migrations`.execute(tx)
      ).rows.map((r) => r.version),
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
        await sql.raw(text).execute(tx);
        await sql`insert into supabase_migrations.schema_migrations (version, name, statements)
                  values (${m.version}, ${m.name}, array[${text}::text])`.execute(tx);
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
