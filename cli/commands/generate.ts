import type { Command } from "commander";
import { z } from "zod";
import { evaluate } from "../../shared/metrics/evaluate.ts";
import { summarise, writeReportFiles } from "./evaluate.ts";
import {
  fitFlagsSchema,
  fitFromFlags,
  outputFormatOf,
  EXCEL_SAFE_CSV_HELP,
  parseFlags,
  guardSummary,
  readTableFile,
  writeTableFile,
} from "../synth-io.ts";
import { addFitOptions } from "./fit.ts";

const generateFlagsSchema = fitFlagsSchema.extend({
  rows: z.string().regex(/^\d+$/, "--rows must be a non-negative integer").transform(Number).optional(),
  out: z.string(),
  report: z.string().optional(),
  html: z.string().optional(),
  excelSafeCsv: z.boolean().default(false),
});

export function register(program: Command): void {
  addFitOptions(
    program
      .command("generate")
      .description("fit a synthesizer on a table and write a synthetic table (fit then sample)")
      .argument("<data>", "table to learn (.csv, .json, .jsonl, .xlsx, .parquet)")
      .option("--rows <n>", "rows to generate (default: as many as the real table)")
      .requiredOption("--out <file>", "output table; the extension picks the format")
      .option(
        "--report <file>",
        "also score the sample against the real table: JSON quality and privacy report",
      )
      .option(
        "--html <file>",
        "also score the sample against the real table: self-contained HTML report (with or without --report)",
      )
      .option("--excel-safe-csv", EXCEL_SAFE_CSV_HELP),
  ).action(async (data: string, raw: unknown) => {
    const flags = parseFlags(generateFlagsSchema, raw);
    outputFormatOf(flags.out);
    const { table, metadata } = await readTableFile(data, flags.metadata);
    const synth = await fitFromFlags(table, metadata, flags);
    const rows = flags.rows ?? table.data[0].length;
    const { table: out, privacy } = await synth.sampleWithReport(rows, { seed: flags.seed ?? 0 });
    await writeTableFile(out, synth.metadata, flags.out, { excelSafeCsv: flags.excelSafeCsv });
    synth.dispose();
    process.stderr.write(
      `wrote ${out.data[0]?.length ?? 0} synthetic rows to ${flags.out} (${synth.kind})\n`,
    );
    process.stderr.write(guardSummary(out.data[0]?.length ?? 0, privacy));
    if (flags.report !== undefined || flags.html !== undefined) {
      const report = evaluate(table, out, synth.metadata, { seed: flags.seed ?? 0, privacyGuard: privacy });
      await writeReportFiles(report, flags.report, flags.html);
      process.stdout.write(summarise(report));
    }
  });
}
