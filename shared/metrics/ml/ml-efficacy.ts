import type { Table } from "../../data/table.ts";
import type { TableMetadata } from "../../data/metadata.ts";
import { synthError } from "../../errors.ts";
import type { Rng } from "../../random.ts";
import { categoryKey, cellsOf, metricColumns, numericColumn } from "../columns.ts";
import { fitFeatureEncoder } from "./features.ts";
import { GradientBoosting, type GradientBoostingOptions } from "./gradient-boosting.ts";
import { macroF1, r2Score } from "./scores.ts";

export interface MlEfficacyResult {
  target: string;
  task: "classification" | "regression";
  metric: "macro_f1" | "r2";
  learner: string;
  /** Trained on the synthetic rows, tested on the held-out real rows. */
  synthetic: number;
  /** The same learner trained on the real (training) rows: the ceiling the synthetic score is read against. */
  real: number;
  trainRows: { real: number; synthetic: number };
  testRows: number;
  /** Present when the target had more classes than MAX_TARGET_CLASSES: how they were grouped. */
  classCap?: ClassCap;
}

/**
 * Classes a classifier trains on at most: gradient boosting fits one tree per class per stage, so a target
 * with 400 classes cost 8 times the trees of 50 (and ran past 30 s); the rarest classes say little anyway.
 */
export const MAX_TARGET_CLASSES = 50;

export interface ClassCap {
  /** Distinct target values in the real training rows. */
  classes: number;
  /** The most frequent of them, trained on as they are. */
  kept: number;
  /** The others, grouped as one class ("other") in training, prediction and scoring. */
  grouped: number;
  /** Share of the test rows whose class is grouped. */
  otherTestShare: number;
}

/** The MAX_TARGET_CLASSES most frequent classes of the real training rows (ties: first seen), or null. */
function capClasses(realKeys: readonly string[]): { kept: Set<string>; classes: number } | null {
  const counts = new Map<string, number>();
  for (const k of realKeys) counts.set(k, (counts.get(k) ?? 0) + 1);
  if (counts.size <= MAX_TARGET_CLASSES) return null;
  // A stable sort keeps first-seen order among equal counts, so the choice does not depend on anything else.
  const kept = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, MAX_TARGET_CLASSES);
  return { kept: new Set(kept.map(([k]) => k)), classes: counts.size };
}

/** A label no kept class can equal. */
function otherLabel(kept: Set<string>): string {
  let label = "(other)";
  while (kept.has(label)) label = `(${label})`;
  return label;
}

/** Rows whose target is present (a learner cannot use a row without its label). */
function withTarget(table: Table, target: string): Table {
  const cells = cellsOf(table, target, "evaluated");
  const keep: number[] = [];
  cells.forEach((c, i) => {
    if (categoryKey(c) !== null) keep.push(i);
  });
  return { columns: table.columns, data: table.data.map((col) => keep.map((i) => col[i])) };
}

const rowsOf = (t: Table): number => (t.data.length === 0 ? 0 : t.data[0].length);

/**
 * Train on synthetic, test on real (TSTR), beside train on real, test on real (TRTR), with the reference's
 * learner and features: gradient boosting with scikit-learn's defaults, one-hot categories, median-imputed
 * numbers. Classification when the target is categorical or boolean (macro F1), regression otherwise (R2).
 */
export function mlEfficacy(
  realTrain: Table,
  synthetic: Table,
  realTest: Table,
  metadata: TableMetadata,
  target: string,
  rng: Rng,
  learner: Partial<GradientBoostingOptions> = {},
): MlEfficacyResult {
  const targetMeta = metadata.columns.find((c) => c.name === target);
  if (!targetMeta)
    throw synthError("UNKNOWN_COLUMN", `target column ${JSON.stringify(target)} is not in the metadata`, {
      column: target,
    });
  const task =
    targetMeta.sdtype === "categorical" || targetMeta.sdtype === "boolean" ? "classification" : "regression";
  if (task === "regression" && targetMeta.sdtype !== "numerical" && targetMeta.sdtype !== "datetime") {
    throw synthError(
      "VALIDATION_ERROR",
      `target column ${JSON.stringify(target)} (${targetMeta.sdtype}) cannot be learned`,
      { column: target },
    );
  }
  const features = metricColumns(metadata).filter((c) => c.name !== target);
  const test = withTarget(realTest, target);
  if (rowsOf(test) === 0)
    throw synthError("VALIDATION_ERROR", "the test rows have no target value", { column: target });

  const targetKeys = (t: Table, which: string) =>
    cellsOf(t, target, which).map((c) => categoryKey(c) as string);
  const cap =
    task === "classification" ? capClasses(targetKeys(withTarget(realTrain, target), "real")) : null;
  const other = cap === null ? "" : otherLabel(cap.kept);
  const classOf = (k: string): string => (cap === null || cap.kept.has(k) ? k : other);

  const score = (train: Table): number => {
    const t = withTarget(train, target);
    const n = rowsOf(t);
    const encoder = fitFeatureEncoder(t, features);
    const x = encoder.transform(t);
    const xTest = encoder.transform(test);
    const nTest = rowsOf(test);
    const model = new GradientBoosting({ task, ...learner });
    if (task === "regression") {
      const y = numericColumn(cellsOf(t, target, "training"));
      const truth = numericColumn(cellsOf(test, target, "test"));
      if (n === 0) return r2Score(truth, new Float64Array(nTest));
      model.fit(x, n, encoder.width, y, 0, rng.fork());
      return r2Score(truth, model.predict(xTest, nTest, encoder.width));
    }
    const labels: string[] = [];
    const index = new Map<string, number>();
    const yKeys = targetKeys(t, "training").map(classOf);
    const y = new Float64Array(n);
    yKeys.forEach((k, i) => {
      let id = index.get(k);
      if (id === undefined) {
        id = labels.length;
        index.set(k, id);
        labels.push(k);
      }
      y[i] = id;
    });
    const truth = targetKeys(test, "test").map(classOf);
    if (labels.length < 2)
      return macroF1(
        truth,
        truth.map(() => labels[0] ?? ""),
      );
    model.fit(x, n, encoder.width, y, labels.length, rng.fork());
    const predicted = Array.from(model.predict(xTest, nTest, encoder.width), (k) => labels[k]);
    return macroF1(truth, predicted);
  };

  let classCap: ClassCap | undefined;
  if (cap !== null) {
    const testKeys = targetKeys(test, "test");
    classCap = {
      classes: cap.classes,
      kept: cap.kept.size,
      grouped: cap.classes - cap.kept.size,
      otherTestShare: testKeys.filter((k) => !cap.kept.has(k)).length / testKeys.length,
    };
  }
  return {
    target,
    task,
    metric: task === "classification" ? "macro_f1" : "r2",
    learner: "gradient boosting (100 stages, depth 3, learning rate 0.1)",
    synthetic: score(synthetic),
    real: score(realTrain),
    trainRows: { real: rowsOf(realTrain), synthetic: rowsOf(synthetic) },
    testRows: rowsOf(test),
    ...(classCap ? { classCap } : {}),
  };
}
