import { z } from "zod";

/**
 * The evaluation report as stored and served (JSON). Versioned: a change that removes or renames a field
 * bumps REPORT_VERSION; readers parse with reportSchema and refuse versions they do not know.
 */
export const REPORT_VERSION = 1;

const score = z.number().min(0).max(1).nullable();
const num = z.number().nullable();

const qualityScoresSchema = z.object({
  overall: score,
  columnShapes: score,
  columnPairTrends: score,
});

export const columnShapeSchema = z.object({
  column: z.string(),
  sdtype: z.string(),
  metric: z.enum(["KSComplement", "TVComplement"]),
  score,
});

export const pairTrendSchema = z.object({
  columns: z.tuple([z.string(), z.string()]),
  metric: z.enum(["CorrelationSimilarity", "ContingencySimilarity"]),
  score,
  realCorrelation: num,
  syntheticCorrelation: num,
  realAssociation: num,
  syntheticAssociation: num,
  related: z.boolean(),
});

export const pairDetailsSchema = z.object({
  total: z.number().int(),
  scored: z.number().int(),
  detailed: z.number().int(),
  selection: z.enum(["all", "bounded"]),
  heatmapPairs: z.number().int(),
  worst: z.number().int(),
  sampled: z.number().int(),
  heatmapColumns: z.array(z.string()),
});

export const distributionSchema = z.discriminatedUnion("kind", [
  z.object({
    column: z.string(),
    sdtype: z.string(),
    kind: z.literal("histogram"),
    edges: z.array(z.number()),
    real: z.array(z.number()),
    synthetic: z.array(z.number()),
    syntheticBelow: z.number(),
    syntheticAbove: z.number(),
    realMissing: z.number(),
    syntheticMissing: z.number(),
  }),
  z.object({
    column: z.string(),
    sdtype: z.string(),
    kind: z.literal("categories"),
    categories: z.array(z.string().nullable()),
    real: z.array(z.number()),
    synthetic: z.array(z.number()),
    otherReal: z.number(),
    otherSynthetic: z.number(),
  }),
]);

/** Synthetic rows equal on every compared column to a real row (privacy.ts exactCopies). */
export const exactCopiesSchema = z.object({
  /** Share of synthetic rows equal to a real row that occurs once in the real table (a disclosed person). */
  uniqueRealRowShare: z.number().min(0).max(1),
  /** Share of synthetic rows equal to any real row. */
  anyRealRowShare: z.number().min(0).max(1),
  /** Share of real rows that have a twin in the real table: copies of those are not a disclosure. */
  realDuplicateShare: z.number().min(0).max(1),
  uniqueRealRowCopies: z.number().int(),
  anyRealRowCopies: z.number().int(),
  columnsCompared: z.array(z.string()),
  /** Set when uniqueRealRowShare > 0. */
  warning: z.string().nullable(),
});

/** What the sampler's privacy guard did (shared/synth/privacy-guard.ts), when the sampler says. */
export const privacyGuardSchema = z.object({
  status: z.enum(["on", "off", "unavailable"]),
  minRowCount: z.number().int().nullable(),
  rareTrainingRows: z.number().int().nullable(),
  resampled: z.number().int(),
  dropped: z.number().int(),
  rounds: z.number().int(),
  maxRounds: z.number().int(),
  reason: z.string().nullable(),
});

export const privacySchema = z.object({
  dcr: z.object({
    min: num,
    p05: num,
    median: num,
    mean: num,
    exactShare: z.number(),
    histogram: z.object({ edges: z.array(z.number()), counts: z.array(z.number().int()) }),
  }),
  copyShare: z.number().min(0).max(1),
  copyTolerance: z.number(),
  baselineProtection: z.object({ score, syntheticMedianDcr: num, randomMedianDcr: num }),
  overfittingProtection: z
    .object({
      score: z.number(),
      closerToTraining: z.number(),
      closerToHoldout: z.number(),
      holdoutRows: z.number().int(),
    })
    .nullable(),
  /** Added within version 1: reports written before the privacy guard lack the next two. */
  exactCopies: exactCopiesSchema.optional(),
  /** null: the report was made from files, without the sampler's guard report. */
  guard: privacyGuardSchema.nullable().optional(),
});

export const mlEfficacySchema = z.object({
  target: z.string(),
  task: z.enum(["classification", "regression"]),
  metric: z.enum(["macro_f1", "r2"]),
  learner: z.string(),
  synthetic: z.number(),
  real: z.number(),
  trainRows: z.object({ real: z.number().int(), synthetic: z.number().int() }),
  testRows: z.number().int(),
  /** Present when the target's rarest classes were grouped as one (more than 50 classes). */
  classCap: z
    .object({
      classes: z.number().int(),
      kept: z.number().int(),
      grouped: z.number().int(),
      otherTestShare: z.number().min(0).max(1),
    })
    .optional(),
});

export const reportSchema = z.object({
  version: z.literal(REPORT_VERSION),
  generatedAt: z.string(),
  rows: z.object({
    real: z.number().int(),
    synthetic: z.number().int(),
    holdout: z.number().int().nullable(),
  }),
  columns: z.array(z.object({ name: z.string(), sdtype: z.string() })),
  quality: z.object({
    /** Every column pair averaged: our headline score. */
    allPairs: qualityScoresSchema,
    /** SDMetrics 0.27+ default: only pairs related in the real data (|r| > 0.5, Cramér's V > 0.3). */
    relatedPairs: qualityScoresSchema.extend({ pairsScored: z.number().int(), pairsTotal: z.number().int() }),
    columnShapes: z.array(columnShapeSchema),
    columnPairTrends: z.array(pairTrendSchema),
    /** Which pairs columnPairTrends details out of how many were scored (absent in reports before it). */
    pairDetails: pairDetailsSchema.optional(),
  }),
  diagnostics: z.object({
    overall: score,
    dataValidity: score,
    dataStructure: z.number(),
    validity: z.array(
      z.object({
        column: z.string(),
        metric: z.enum(["BoundaryAdherence", "CategoryAdherence", "KeyUniqueness"]),
        score,
      }),
    ),
    structureMismatches: z.array(
      z.object({ column: z.string(), real: z.string().nullable(), synthetic: z.string().nullable() }),
    ),
  }),
  privacy: privacySchema.nullable(),
  mlEfficacy: mlEfficacySchema.nullable(),
  /** Why a section is null (e.g. "ML efficacy needs a target column and a holdout table"). */
  notes: z.array(z.string()),
  distributions: z.array(distributionSchema),
  timingsMs: z.record(z.string(), z.number()),
});
export type Report = z.infer<typeof reportSchema>;
