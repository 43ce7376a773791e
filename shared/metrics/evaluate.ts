import { z } from "zod";
import type { Table } from "../data/table.ts";
import { rowCount } from "../data/table.ts";
import { tableMetadataSchema, type TableMetadata } from "../data/metadata.ts";
import { synthError } from "../errors.ts";
import { createRng } from "../random.ts";
import { diagnostics } from "./diagnostics.ts";
import { distributions } from "./distributions.ts";
import { mlEfficacy } from "./ml/ml-efficacy.ts";
import { privacy } from "./privacy.ts";
import { DEFAULT_MAX_PAIR_DETAILS, MAX_PAIR_CELL_VISITS, qualityReport } from "./quality.ts";
import { REPORT_VERSION, privacyGuardSchema, reportSchema, type Report } from "./report-schema.ts";

const tableSchema = z.custom<Table>(
  (v) =>
    typeof v === "object" &&
    v !== null &&
    Array.isArray((v as Table).columns) &&
    Array.isArray((v as Table).data) &&
    (v as Table).columns.length === (v as Table).data.length,
  { message: "expected a Table ({ columns, data })" },
);

export const evaluateOptionsSchema = z.object({
  /** Column to predict for ML efficacy (needs `holdout`). */
  target: z.string().optional(),
  /** Real rows the synthesizer never saw: ML efficacy test set and DCR overfitting protection. */
  holdout: tableSchema.optional(),
  /** Seeds the random baseline of DCR and the learner. */
  seed: z.number().int().default(0),
  privacy: z.boolean().default(true),
  /** What the sampler's privacy guard did (Synthesizer.sampleWithReport), shown beside the copy shares. */
  privacyGuard: privacyGuardSchema.optional(),
  mlEfficacy: z.boolean().default(true),
  /** Equal-width bins for numerical columns in contingency tables (SDMetrics default 10). */
  bins: z.number().int().min(2).max(1000).default(10),
  /** Column pairs detailed in the report at most (the scores average every pair): wide tables stay small. */
  maxPairDetails: z.number().int().min(0).default(DEFAULT_MAX_PAIR_DETAILS),
  /** Above pairs x rows this large, the pair scores average a seeded sample of pairs (with a note). */
  maxPairCellVisits: z.number().positive().default(MAX_PAIR_CELL_VISITS),
  /** Clock for timings (injected so shared/ reads no global clock it cannot replace); defaults to Date.now. */
  now: z.custom<() => number>((v) => typeof v === "function").optional(),
});
export type EvaluateOptions = z.input<typeof evaluateOptionsSchema>;

/** JSON has no NaN or Infinity: undefined numbers become null. */
const finiteOrNull = (v: number | null | undefined): number | null =>
  v === null || v === undefined || !Number.isFinite(v) ? null : v;

/**
 * Everything the report proves about a synthetic table, in one call: quality (SDMetrics QualityReport,
 * all pairs and related pairs), diagnostics, privacy (DCR, copies, baseline and overfitting protection) and
 * ML efficacy. `real` is the table the model was fitted on.
 */
export function evaluate(
  real: Table,
  synthetic: Table,
  metadata: TableMetadata,
  options: EvaluateOptions = {},
): Report {
  const opts = evaluateOptionsSchema.parse(options);
  const meta = tableMetadataSchema.parse(metadata);
  const now = opts.now ?? (() => Date.now());
  if (rowCount(real) === 0) throw synthError("INCOMPATIBLE_TABLES", "the real table has no rows");
  if (rowCount(synthetic) === 0) throw synthError("INCOMPATIBLE_TABLES", "the synthetic table has no rows");
  const missing = meta.columns.filter((c) => !real.columns.includes(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    throw synthError("INCOMPATIBLE_TABLES", `the real table lacks metadata columns: ${missing.join(", ")}`, {
      columns: missing,
    });
  }
  const rng = createRng(opts.seed);
  const timings: Record<string, number> = {};
  const timed = <T>(name: string, fn: () => T): T => {
    const t0 = now();
    const out = fn();
    timings[name] = now() - t0;
    return out;
  };
  const start = now();
  const notes: string[] = [];

  // Metric columns the synthetic table lacks are a structure problem (reported) and cannot be scored.
  const scored: TableMetadata = {
    ...meta,
    columns: meta.columns.filter((c) => synthetic.columns.includes(c.name)),
  };
  const absent = meta.columns.filter((c) => !synthetic.columns.includes(c.name)).map((c) => c.name);
  if (absent.length > 0)
    notes.push(`The synthetic table lacks ${absent.join(", ")}: those columns are not scored.`);
  if (scored.primaryKey !== undefined && !synthetic.columns.includes(scored.primaryKey))
    delete scored.primaryKey;

  const quality = timed("quality", () =>
    qualityReport(real, synthetic, scored, {
      bins: opts.bins,
      maxPairDetails: opts.maxPairDetails,
      maxPairCellVisits: opts.maxPairCellVisits,
      seed: opts.seed,
    }),
  );
  const pd = quality.pairDetails;
  if (pd.scored < pd.total)
    notes.push(
      `${pd.total} column pairs x ${rowCount(real) + rowCount(synthetic)} rows is more than the pair metrics scan ` +
        `(${opts.maxPairCellVisits} cells): the pair-trend scores average a seeded sample of ${pd.scored} pairs.`,
    );
  if (pd.selection === "bounded")
    notes.push(
      `${pd.detailed} of ${pd.total} column pairs are detailed (the ${pd.heatmapPairs} pairs of the ${pd.heatmapColumns.length} heatmap columns, ` +
        `the ${pd.worst} other worst pairs and a seeded sample of ${pd.sampled})` +
        (pd.scored === pd.total ? "; every pair is in the scores." : "."),
    );
  const diag = timed("diagnostics", () => diagnostics(real, synthetic, scored));
  const plots = timed("distributions", () => distributions(real, synthetic, scored));

  let priv: Report["privacy"] = null;
  if (opts.privacy && scored.columns.some((c) => c.sdtype !== "id" && c.sdtype !== "text")) {
    priv = timed("privacy", () => {
      const p = privacy(real, synthetic, scored, { rng: rng.fork(), holdout: opts.holdout });
      return {
        dcr: {
          ...p.dcr,
          min: finiteOrNull(p.dcr.min),
          p05: finiteOrNull(p.dcr.p05),
          median: finiteOrNull(p.dcr.median),
          mean: finiteOrNull(p.dcr.mean),
        },
        copyShare: p.copyShare,
        copyTolerance: p.copyTolerance,
        baselineProtection: {
          score: finiteOrNull(p.baselineProtection.score),
          syntheticMedianDcr: finiteOrNull(p.baselineProtection.syntheticMedianDcr),
          randomMedianDcr: finiteOrNull(p.baselineProtection.randomMedianDcr),
        },
        overfittingProtection: p.overfittingProtection,
        exactCopies: p.exactCopies,
        guard: opts.privacyGuard ?? null,
      };
    });
    if (priv.exactCopies?.warning) notes.push(priv.exactCopies.warning);
    if (opts.privacyGuard?.status === "unavailable" && opts.privacyGuard.reason !== null)
      notes.push(`The privacy guard could not run: ${opts.privacyGuard.reason}.`);
    if (opts.privacyGuard !== undefined && opts.privacyGuard.dropped > 0)
      notes.push(
        `The privacy guard dropped ${opts.privacyGuard.dropped} synthetic rows that still reproduced a rare real row after ${opts.privacyGuard.rounds} resampling rounds.`,
      );
    if (!opts.holdout)
      notes.push("DCR overfitting protection needs a holdout table (real rows the model never saw).");
  }

  let ml: Report["mlEfficacy"] = null;
  if (opts.mlEfficacy && opts.target !== undefined) {
    if (!opts.holdout)
      notes.push("ML efficacy needs a holdout table to test on (real rows the model never saw).");
    else if (!scored.columns.some((c) => c.name === opts.target)) {
      notes.push(`ML efficacy needs the target column ${JSON.stringify(opts.target)} in both tables.`);
    } else {
      const target = opts.target;
      const holdout = opts.holdout;
      ml = timed("mlEfficacy", () => mlEfficacy(real, synthetic, holdout, scored, target, rng.fork()));
      const cap = ml.classCap;
      if (cap)
        notes.push(
          `The target ${JSON.stringify(target)} has ${cap.classes} classes: ML efficacy trains on the ${cap.kept} most frequent ` +
            `and groups the other ${cap.grouped} as one class (${(cap.otherTestShare * 100).toFixed(1)}% of the test rows).`,
        );
    }
  } else if (opts.mlEfficacy) notes.push("ML efficacy needs a target column.");

  timings.total = now() - start;
  const report: Report = {
    version: REPORT_VERSION,
    generatedAt: new Date(now()).toISOString(),
    rows: {
      real: rowCount(real),
      synthetic: rowCount(synthetic),
      holdout: opts.holdout ? rowCount(opts.holdout) : null,
    },
    columns: meta.columns.map((c) => ({ name: c.name, sdtype: c.sdtype })),
    quality: {
      allPairs: quality.allPairs,
      relatedPairs: quality.relatedPairs,
      columnShapes: quality.columnShapes,
      columnPairTrends: quality.columnPairTrends,
      pairDetails: quality.pairDetails,
    },
    diagnostics: diag,
    privacy: priv,
    mlEfficacy: ml,
    notes,
    distributions: plots,
    timingsMs: timings,
  };
  return reportSchema.parse(report);
}
