import type { Command } from "commander";
import { jobFitThreads, loadRunnerConfig } from "../../training-runner/config.ts";
import { defaultExecutors } from "../../training-runner/executors.ts";
import { startRunnerProcess } from "../../training-runner/process.ts";

export function register(program: Command): void {
  program
    .command("runner")
    .description(
      "run a training runner: claims queued jobs from DATABASE_URL, reads and writes SUPABASE_URL's Storage (configuration from the environment, see training-runner/README.md)",
    )
    .action(async () => {
      const config = loadRunnerConfig(process.env);
      const proc = await startRunnerProcess(config, {
        execute: defaultExecutors({ fitThreads: jobFitThreads(config) }),
      });
      process.stdout.write(
        `${JSON.stringify({ timestamp: new Date().toISOString(), level: "info", message: "ready", runner_id: config.runnerId, url: proc.url })}\n`,
      );
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once("SIGINT", () => resolve("SIGINT"));
        process.once("SIGTERM", () => resolve("SIGTERM"));
      });
      proc.logger.log("info", "signal received: shutting down", { signal });
      await proc.shutdown(config.shutdownGraceSeconds * 1000);
      proc.logger.log("info", "exiting");
    });
}
