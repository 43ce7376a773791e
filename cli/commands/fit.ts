import type { Command } from "commander";
import { writeFile } from "node:fs/promises";
import { encodeArtifact } from "../../shared/synth/artifact.ts";
import { fitFlagsSchema, fitFromFlags, parseFlags, readTableFile, THREADS_HELP } from "../synth-io.ts";

export function addFitOptions(command: Command): Command {
  return command
    .option(
      "--model <model>",
      "ctgan | tvae | gaussian_copula (default gaussian_copula, or the model a --config best.json was tuned for)",
    )
    .option("--epochs <n>", "training epochs (ctgan, tvae; reference default 300)")
    .option(
      "--batch-size <n>",
      "batch size (ctgan, tvae; default 500, but at most the training rows for ctgan and a tenth of them for tvae)",
    )
    .option("--seed <n>", "random seed (same data, options, seed and threads: same model)", "0")
    .option("--metadata <file>", "column metadata JSON (SDV single-table format or synth's own)")
    .option(
      "--config <json|file>",
      "hyperparameters as inline JSON or a JSON file, e.g. '{\"generator_dim\":[128,128]}', or a `synth optimize` best.json (its best.params); explicit flags override it",
    )
    .option("--time-budget <seconds>", "stop training after this long, keeping the model")
    .option("--backend <backend>", "tfjs backend: wasm | cpu", "wasm")
    .option("--threads <n|auto>", THREADS_HELP, "auto")
    .option(
      "--privacy-min-row-count <k>",
      "privacy guard: a real row seen fewer than k times is never output (2)",
    )
    .option(
      "--no-privacy-guard",
      "let synthetic rows copy unique real rows (the model then keeps no row hashes)",
    );
}

export function register(program: Command): void {
  addFitOptions(
    program
      .command("fit")
      .description("fit a synthesizer on a table and save the model")
      .argument("<data>", "table to learn (.csv, .json, .jsonl, .xlsx, .parquet)")
      .requiredOption("--out <file>", "where to write the model (e.g. model.synth)"),
  ).action(async (data: string, raw: Record<string, unknown>) => {
    const flags = parseFlags(fitFlagsSchema, raw);
    const { table, metadata } = await readTableFile(data, flags.metadata);
    const synth = await fitFromFlags(table, metadata, flags);
    await writeFile(String(raw.out), encodeArtifact(synth));
    synth.dispose();
    process.stderr.write(`wrote ${String(raw.out)} (${synth.kind}, ${table.columns.length} columns)\n`);
  });
}
