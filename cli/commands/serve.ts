import type { Command } from "commander";
import { z } from "zod";
import { startLocalPlatform } from "../../local/serve/local-platform.ts";

const serveOptionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(54321),
  host: z.string().min(1).default("127.0.0.1"),
  dataDir: z.string().min(1).default(".synth"),
  databaseUrl: z.string().url().optional(),
  runners: z.coerce.number().int().min(0).max(32).default(1),
});

export function register(program: Command): void {
  program
    .command("serve")
    .description(
      "the whole platform on one port, Supabase-shaped (auth, storage, rest, realtime, functions), over an embedded database, with runners inside",
    )
    .option("--port <port>", "port", "54321")
    .option("--host <host>", "interface to bind (loopback unless told otherwise)", "127.0.0.1")
    .option("--data-dir <dir>", "the embedded database, stored files and the generated JWT secret", ".synth")
    .option("--database-url <url>", "a PostgreSQL server instead of the embedded database")
    .option("--runners <n>", "training runners inside this process (0: serve only)", "1")
    .action(async (raw: unknown) => {
      const opts = serveOptionsSchema.parse(raw);
      const platform = await startLocalPlatform({
        ...opts,
        env: process.env,
        logSink: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(
        `SUPABASE_URL=${platform.url}\nSUPABASE_ANON_KEY=${platform.anonKey}\nSUPABASE_SERVICE_ROLE_KEY=${platform.serviceRoleKey}\nready\n`,
      );
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once("SIGINT", () => resolve("SIGINT"));
        process.once("SIGTERM", () => resolve("SIGTERM"));
      });
      platform.logger.log("info", "signal received: shutting down", { signal });
      await platform.close();
      platform.logger.log("info", "stopped");
    });
}
