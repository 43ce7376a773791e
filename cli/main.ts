import { Command, CommanderError } from "commander";
import { isSynthError } from "../shared/errors.ts";
import * as api from "./commands/api.ts";
import * as db from "./commands/db.ts";
import * as evaluate from "./commands/evaluate.ts";
import * as fit from "./commands/fit.ts";
import * as generate from "./commands/generate.ts";
import * as inspect from "./commands/inspect.ts";
import * as optimize from "./commands/optimize.ts";
import * as runner from "./commands/runner.ts";
import * as sample from "./commands/sample.ts";
import * as serve from "./commands/serve.ts";

/** A command module exports `register(program)`. */
export interface CommandModule {
  register(program: Command): void;
}

/**
 * Every command, in the order `synth --help` lists them. An explicit list rather than a listing of commands/ at
 * run time: a reader sees them all here, and a bundler follows static imports. A new command file goes here too
 * (main.test.ts fails until it does).
 */
export const COMMANDS: readonly CommandModule[] = [
  api,
  db,
  evaluate,
  fit,
  generate,
  inspect,
  optimize,
  runner,
  sample,
  serve,
];

export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("synth")
    .description(
      "Synthetic tabular data: fit CTGAN, TVAE or a Gaussian copula, sample, evaluate, run the platform.",
    )
    .exitOverride();
  for (const command of COMMANDS) command.register(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isSynthError(error)) {
      process.stderr.write(`error ${error.code}: ${error.message}\n`);
      if (Object.keys(error.details).length > 0) {
        process.stderr.write(`${JSON.stringify(error.details, null, 2)}\n`);
      }
      return 1;
    }
    process.stderr.write(
      `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 70;
  }
}
