import type { Command } from "commander";
import { z } from "zod";
import { startLocalApi } from "../../local/api/local-api.ts";

const apiOptionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8787),
  host: z.string().default("127.0.0.1"),
  dataDir: z.string().default(".synth"),
  databaseUrl: z.string().optional(),
  storage: z.enum(["local", "supabase"]).default("local"),
});

export function register(program: Command): void {
  program
    .command("api")
    .description("serve the platform API (the Edge Function's Hono app) under Node, at /api")
    .option("--port <port>", "port", "8787")
    .option("--host <host>", "interface to bind (loopback unless told otherwise)", "127.0.0.1")
    .option("--data-dir <dir>", "local storage and the generated JWT secret", ".synth")
    .option(
      "--database-url <url>",
      "PostgreSQL URL (default: $SUPABASE_DB_URL, $DATABASE_URL or the local default)",
    )
    .option(
      "--storage <kind>",
      "local (files under the data directory) or supabase (SUPABASE_URL's Storage)",
      "local",
    )
    .action(async (raw: unknown) => {
      const opts = apiOptionsSchema.parse(raw);
      const databaseUrl =
        opts.databaseUrl ??
        process.env.SUPABASE_DB_URL ??
        process.env.DATABASE_URL ??
        "postgres://postgres@127.0.0.1:5432/synth";
      const api = await startLocalApi({ ...opts, databaseUrl, env: process.env });
      process.stdout.write(
        `SUPABASE_URL=${api.config.supabaseUrl}\nSUPABASE_ANON_KEY=${api.config.anonKey}\n`,
      );
      process.stdout.write(`API_URL=${api.url}/api\nready\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await api.close();
    });
}
