import type { Command } from "commander";
import { z } from "zod";
import { Synthesizer } from "../../shared/synth/synthesizer.ts";
import {
  abortOnSigint,
  fitFlagsSchema,
  parseFlags,
  prepareBackend,
  progressReporter,
  readTableFile,
  synthesizerOptions,
  outputFormatOf,
  writeTableFile,
} from "../synth-io.ts";
import { addFitOptions } from "./fit.ts";

const generateFlagsSchema = fitFlagsSchema.extend({
  rows: z.string().regex(/^\d+$/, "--rows must be a non-negative integer").transform(Number).optional(),
  out: z.string(),
});

export function register(program: Command): void {
  addFitOptions(
    program
      .command("generate")
      .description("fit a synthesizer on a table and write a synthetic table (fit then sample)")
      .argument("<data>", "table to learn (.csv, .json, .jsonl, .xlsx, .parquet)")
      .option("--rows <n>", "rows to generate (default: as many as the real table)")
      .requiredOption("--out <file>", "output table; the extension picks the format"),
  ).action(async (data: string, raw: unknown) => {
    const flags = parseFlags(generateFlagsSchema, raw);
    outputFormatOf(flags.out);
    const { table, metadata } = await readTableFile(data, flags.metadata);
    await prepareBackend(flags.model, flags.backend);
    const progress = progressReporter();
    const abort = abortOnSigint();
    try {
      const synth = await Synthesizer.fit(table, metadata, synthesizerOptions(flags), {
        onEpoch: progress.onEpoch,
        signal: abort.signal,
      });
      progress.done();
      const rows = flags.rows ?? table.data[0].length;
      const out = await synth.sample(rows, { seed: flags.seed ?? 0 });
      await writeTableFile(out, synth.metadata, flags.out);
      synth.dispose();
      process.stderr.write(`wrote ${rows} synthetic rows to ${flags.out} (${flags.model})\n`);
    } finally {
      abort.release();
    }
  });
}
