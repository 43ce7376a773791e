import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { migrate } from "../../local/db/migrate.ts";
import { isSynthError } from "../../shared/errors.ts";

const name = `synth_migfail_${Date.now()}_${process.pid}`;
let admin: postgres.Sql;
let url: string;
const dir = mkdtempSync(join(tmpdir(), "synth-migrations-"));

beforeAll(async () => {
  const base = new URL(inject("databaseUrl"));
  base.pathname = "/postgres";
  admin = postgres(base.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  base.pathname = `/${name}`;
  url = base.toString();
});
afterAll(async () => {
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

describe("a failing migration", () => {
  it("names its version and leaves nothing of the run applied", async () => {
    writeFileSync(
      join(dir, "20990101000001_good.sql"),
      "create table public.first_step (id int primary key);",
    );
    writeFileSync(
      join(dir, "20990101000002_bad.sql"),
      "create table public.second_step (id int primary key, oops);",
    );
    const error = await migrate(url, { migrationsDir: dir }).catch((e: unknown) => e);
    expect(isSynthError(error, "MIGRATION_FAILED")).toBe(true);
    expect((error as { details: { version?: string } }).details.version).toBe("20990101000002");
    const db = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await db<{ first: string | null; recorded: string | null }[]>`
        select to_regclass('public.first_step')::text as first,
               to_regclass('supabase_migrations.schema_migrations')::text as recorded`;
      expect(row).toEqual({ first: null, recorded: null });
    } finally {
      await db.end();
    }
  });
});
