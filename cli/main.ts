import { readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { isSynthError } from "../shared/errors.ts";

/** Each file in cli/commands/ exports `register(program)`; adding a command is adding a file. */
export interface CommandModule {
  register(program: Command): void;
}

async function loadCommands(program: Command): Promise<void> {
  const dir = fileURLToPath(new URL("./commands/", import.meta.url));
  const files = (await readdir(dir)).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).sort();
  for (const file of files) {
    const mod = (await import(new URL(`./commands/${file}`, import.meta.url).href)) as CommandModule;
    mod.register(program);
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("synth")
    .description(
      "Synthetic tabular data: fit CTGAN, TVAE or a Gaussian copula, sample, evaluate, run the platform.",
    )
    .exitOverride();
  await loadCommands(program);
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
