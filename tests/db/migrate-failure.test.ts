import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { migrate } from "../../local/db/migrate.ts";
import { isSynthError } from "../../shared/errors.ts";
import { createScratchDatabase, type ScratchDatabase } from "../setup/scratch-database.ts";

let scratch: ScratchDatabase;
let url: string;
const dir = mkdtempSync(join(tmpdir(), "synth-migrations-"));

beforeAll(async () => {
  const admin = new URL(inject("databaseUrl"));
  admin.pathname = "/postgres";
  scratch = await createScratchDatabase("synth_migfail", admin.toString());
  url = scratch.url;
});
afterAll(async () => {
  await scratch.drop();
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
