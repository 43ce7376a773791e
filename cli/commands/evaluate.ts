import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { z } from "zod";
import { synthError } from "../../shared/errors.ts";
import { loadDataFile, readMetadataFile } from "../data-file.ts";
import { evaluate } from "../../shared/metrics/evaluate.ts";
import { renderHtmlReport } from "../../shared/metrics/html/render.ts";
import type { Report } from "../../shared/metrics/report-schema.ts";

const evaluateCliOptionsSchema = z.object({
  metadata: z.string().optional(),
  target: z.string().optional(),
  holdout: z.string().optional(),
  out: z.string().min(1).optional(),
  html: z.string().min(1).optional(),
  seed: z.coerce.number().int().min(0).default(0),
  privacy: z.boolean().default(true),
});

/**
 * Writes the JSON report, the HTML page, or both, whichever has a path; for `synth evaluate` and for `synth
 * generate --report/--html` (which evaluates the sample against the table it was fitted on).
 */
export async function writeReportFiles(
  report: Report,
  jsonPath: string | undefined,
  htmlPath?: string,
): Promise<void> {
  if (jsonPath) await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  if (htmlPath) await writeFile(htmlPath, renderHtmlReport(report));
}

/** One line per headline number, for a terminal. */
export function summarise(report: Report): string {
  const f = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : v.toFixed(3));
  const lines = [
    `quality overall ${f(report.quality.allPairs.overall)} (column shapes ${f(report.quality.allPairs.columnShapes)}, pair trends ${f(report.quality.allPairs.columnPairTrends)})`,
    `quality, related pairs only (SDMetrics default) ${f(report.quality.relatedPairs.overall)} (${report.quality.relatedPairs.pairsScored} of ${report.quality.relatedPairs.pairsTotal} pairs)`,
    `diagnostics: validity ${f(report.diagnostics.dataValidity)}, structure ${f(report.diagnostics.dataStructure)}`,
  ];
  if (report.privacy) {
    const p = report.privacy;
    lines.push(
      `privacy: median DCR ${f(p.dcr.median)}, copied rows ${(p.copyShare * 100).toFixed(2)}%, baseline protection ${f(p.baselineProtection.score)}` +
        (p.overfittingProtection ? `, overfitting protection ${f(p.overfittingProtection.score)}` : ""),
    );
  }
  if (report.mlEfficacy) {
    const m = report.mlEfficacy;
    lines.push(`ML efficacy (${m.metric}, ${m.target}): synthetic ${f(m.synthetic)} vs real ${f(m.real)}`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  return `${lines.join("\n")}\n`;
}

export function register(program: Command): void {
  program
    .command("evaluate")
    .description(
      "score a synthetic table against the real one: quality (SDMetrics definitions), diagnostics, privacy, ML efficacy",
    )
    .argument("<real>", "the real table the model was fitted on (CSV, JSON, JSONL, xlsx, Parquet)")
    .argument("<synthetic>", "the synthetic table")
    .option(
      "--metadata <file>",
      "column metadata JSON (ours, SDV single-table, or a dataset .meta.json); default: inferred",
    )
    .option("--target <column>", "column to predict for ML efficacy (needs --holdout)")
    .option(
      "--holdout <file>",
      "real rows the model never saw: ML efficacy test set and DCR overfitting protection",
    )
    .option("--out <file>", "where to write the JSON report")
    .option("--html <file>", "where to write the self-contained HTML report (with or without --out)")
    .option("--seed <n>", "seed of the random baseline and the learner", "0")
    .option("--no-privacy", "skip the distance-to-closest-record metrics")
    .action(async (realPath: string, syntheticPath: string, raw: unknown) => {
      const parsed = evaluateCliOptionsSchema.safeParse(raw);
      if (!parsed.success) {
        throw synthError("VALIDATION_ERROR", "invalid options for evaluate", { issues: parsed.error.issues });
      }
      const opts = parsed.data;
      if (opts.out === undefined && opts.html === undefined) {
        throw synthError(
          "VALIDATION_ERROR",
          "say where the report goes: --out <file.json>, --html <file.html> or both",
        );
      }
      const given = opts.metadata ? await readMetadataFile(opts.metadata) : undefined;
      const real = await loadDataFile(realPath, given ? { metadata: given } : {});
      // The real table's metadata types the other tables, so the same column is read the same way.
      const synthetic = await loadDataFile(syntheticPath, { metadata: real.metadata });
      const holdout = opts.holdout
        ? await loadDataFile(opts.holdout, { metadata: real.metadata })
        : undefined;
      const report = evaluate(real.table, synthetic.table, real.metadata, {
        target: opts.target,
        holdout: holdout?.table,
        seed: opts.seed,
        privacy: opts.privacy,
      });
      await writeReportFiles(report, opts.out, opts.html);
      process.stdout.write(summarise(report));
    });
}
