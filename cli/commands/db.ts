import type { Command } from "commander";
import { z } from "zod";
import { synthError } from "../../shared/errors.ts";
import { bootstrap, ensureDatabase, migrate } from "../../local/db/migrate.ts";

export const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/synth";

const dbOptionsSchema = z.object({
  databaseUrl: z.string().url().optional(),
  expectNone: z.boolean().optional(),
});

function databaseUrl(given: string | undefined): string {
  return given ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
}

export function register(program: Command): void {
  const db = program.command("db").description("database schema: bootstrap and migrations");

  db.command("migrate")
    .description("apply supabase/migrations (and the local Supabase bootstrap where missing)")
    .option("--database-url <url>", "PostgreSQL URL (default: $DATABASE_URL or the embedded default)")
    .option("--expect-none", "fail if any migration was still pending (CI: the Supabase CLI applied them)")
    .action(async (raw: unknown) => {
      const opts = dbOptionsSchema.parse(raw);
      const url = databaseUrl(opts.databaseUrl);
      if (
        opts.databaseUrl === undefined &&
        process.env.DATABASE_URL === undefined &&
        (await ensureDatabase(url))
      ) {
        process.stdout.write(`created database ${new URL(url).pathname.slice(1)}\n`);
      }
      const result = await migrate(url, { log: (line) => process.stdout.write(`${line}\n`) });
      process.stdout.write(
        `migrations: ${result.applied.length} applied, ${result.skipped.length} already applied\n`,
      );
      if (opts.expectNone && result.applied.length > 0) {
        throw synthError(
          "MIGRATION_FAILED",
          `expected no pending migrations, applied ${result.applied.join(", ")}`,
        );
      }
    });

  db.command("bootstrap")
    .description("apply only the local Supabase bootstrap (roles, auth, storage, realtime) where missing")
    .option("--database-url <url>", "PostgreSQL URL (default: $DATABASE_URL or the embedded default)")
    .action(async (raw: unknown) => {
      const opts = dbOptionsSchema.parse(raw);
      const applied = await bootstrap(databaseUrl(opts.databaseUrl));
      process.stdout.write(applied ? "bootstrap applied\n" : "bootstrap not needed\n");
    });
}
