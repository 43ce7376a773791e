import type { Command } from "commander";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { synthError } from "../../shared/errors.ts";
import { decodeArtifact, readArtifactHeader } from "../../shared/synth/artifact.ts";
import {
  EXCEL_SAFE_CSV_HELP,
  guardSummary,
  outputFormatOf,
  parseFlags,
  prepareBackend,
  writeTableFile,
} from "../synth-io.ts";

const flagsSchema = z.object({
  rows: z.string().regex(/^\d+$/, "--rows must be a non-negative integer").transform(Number),
  seed: z.string().regex(/^\d+$/, "--seed must be a non-negative integer").transform(Number).optional(),
  out: z.string(),
  condition: z.array(z.string()).default([]),
  backend: z.enum(["wasm", "cpu"]).default("wasm"),
  privacyGuard: z.boolean().default(true),
  privacyMinRowCount: z
    .string()
    .regex(/^\d+$/, "--privacy-min-row-count must be a non-negative integer")
    .transform(Number)
    .optional(),
  excelSafeCsv: z.boolean().default(false),
});

/** --condition column=value, repeatable. */
function parseConditions(items: string[]): Record<string, string> {
  // Null prototype: a column named __proto__ must stay a key.
  const out = Object.create(null) as Record<string, string>;
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw synthError("VALIDATION_ERROR", `--condition wants column=value, got ${item}`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export function register(program: Command): void {
  program
    .command("sample")
    .description("sample rows from a saved model")
    .argument("<model>", "a model written by synth fit")
    .requiredOption("--rows <n>", "rows to sample")
    .requiredOption(
      "--out <file>",
      "output table; the extension picks the format (.csv .json .jsonl .xlsx .parquet)",
    )
    .option("--seed <n>", "random seed (same model and seed: same rows)")
    .option(
      "--condition <column=value>",
      "fix a categorical column (repeatable)",
      (v, acc: string[]) => [...acc, v],
      [],
    )
    .option("--backend <backend>", "tfjs backend: wasm | cpu", "wasm")
    .option("--privacy-min-row-count <k>", "privacy guard: at most the k the model was fitted with")
    .option("--no-privacy-guard", "let synthetic rows copy unique real rows")
    .option("--excel-safe-csv", EXCEL_SAFE_CSV_HELP)
    .action(async (modelPath: string, raw: unknown) => {
      const flags = parseFlags(flagsSchema, raw);
      outputFormatOf(flags.out);
      const bytes = new Uint8Array(await readFile(modelPath));
      await prepareBackend(readArtifactHeader(bytes).header.kind, flags.backend);
      const synth = decodeArtifact(bytes);
      const conditions = parseConditions(flags.condition);
      const { table, privacy } = await synth.sampleWithReport(flags.rows, {
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        ...(Object.keys(conditions).length > 0 ? { conditions } : {}),
        // Unset, the model's fitted setting holds; the flags only turn it off or lower k.
        ...(!flags.privacyGuard || flags.privacyMinRowCount !== undefined
          ? {
              privacy: {
                ...(flags.privacyGuard ? {} : { guard: false }),
                ...(flags.privacyMinRowCount !== undefined ? { minRowCount: flags.privacyMinRowCount } : {}),
              },
            }
          : {}),
      });
      await writeTableFile(table, synth.metadata, flags.out, { excelSafeCsv: flags.excelSafeCsv });
      synth.dispose();
      const written = table.data[0]?.length ?? 0;
      process.stderr.write(`wrote ${written} rows to ${flags.out}\n`);
      process.stderr.write(guardSummary(written, privacy));
    });
}
