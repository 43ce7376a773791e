import { z } from "zod";
import type { Rng } from "../../random.ts";
import { growTree, type Tree } from "./regression-tree.ts";

/**
 * Gradient-boosted regression trees, the learner of the reference's ML-efficacy protocol (scikit-learn's
 * GradientBoostingClassifier / GradientBoostingRegressor with default settings: 100 stages, learning rate
 * 0.1, depth 3, least-squares split search on the negative gradient, Newton-step leaf values for the log
 * loss, the split value midway between the node's adjacent values; Friedman 2001, "Greedy function
 * approximation: a gradient boosting machine"). One difference, for speed: split candidates are the thresholds
 * between up to 255 quantile bins of each feature (as HistGradientBoosting does) rather than every distinct
 * value; with up to 255 distinct values the two agree (sklearn-parity.test.ts checks it against scikit-learn).
 */
export const gradientBoostingOptionsSchema = z.object({
  task: z.enum(["regression", "classification"]),
  nEstimators: z.number().int().min(1).max(10_000).default(100),
  learningRate: z.number().positive().max(10).default(0.1),
  maxDepth: z.number().int().min(1).max(16).default(3),
  minSamplesLeaf: z.number().int().min(1).default(1),
  maxBins: z.number().int().min(2).max(255).default(255),
  /** Share of rows each stage is fitted on (stochastic gradient boosting when < 1; reference default 1). */
  subsample: z.number().gt(0).max(1).default(1),
});
export type GradientBoostingOptions = z.input<typeof gradientBoostingOptionsSchema>;

/** Split thresholds of one feature: midpoints between distinct values, or between quantile bins. */
function featureThresholds(values: Float64Array, maxBins: number): Float64Array {
  const sorted = Float64Array.from(values).sort();
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++)
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
  if (distinct.length <= maxBins) {
    const t = new Float64Array(Math.max(0, distinct.length - 1));
    for (let i = 0; i < t.length; i++) t[i] = (distinct[i] + distinct[i + 1]) / 2;
    return t;
  }
  const out: number[] = [];
  for (let b = 1; b < maxBins; b++) {
    const idx = Math.floor((b * sorted.length) / maxBins);
    const lo = sorted[Math.max(0, idx - 1)];
    const hi = sorted[idx];
    const t = lo === hi ? lo : (lo + hi) / 2;
    if (out.length === 0 || t > out[out.length - 1]) out.push(t);
  }
  return Float64Array.from(out);
}

/** Bin of a value: the number of thresholds strictly below it (value <= t[b] goes left of split b). */
function binOf(value: number, t: Float64Array): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class GradientBoosting {
  private readonly options: z.infer<typeof gradientBoostingOptionsSchema>;
  private thresholds: Float64Array[] = [];
  /** trees[stage][k]: one tree per stage (regression, binary) or one per class (multiclass). */
  private trees: Tree[][] = [];
  private init: Float64Array = new Float64Array(0);
  private outputs = 1;
  classes = 0;

  constructor(options: GradientBoostingOptions) {
    this.options = gradientBoostingOptionsSchema.parse(options);
  }

  /**
   * @param x row-major n x f features (no missing values: impute first)
   * @param y targets (regression) or class indices 0..classes-1
   */
  fit(x: Float64Array, n: number, f: number, y: Float64Array, classes: number, rng: Rng): this {
    const { task, nEstimators, learningRate, maxBins } = this.options;
    this.classes = classes;
    this.thresholds = [];
    const binned = new Uint8Array(n * f);
    const column = new Float64Array(n);
    for (let j = 0; j < f; j++) {
      for (let i = 0; i < n; i++) column[i] = x[i * f + j];
      const t = featureThresholds(column, maxBins);
      this.thresholds.push(t);
      for (let i = 0; i < n; i++) binned[j * n + i] = binOf(column[i], t);
    }
    const multiclass = task === "classification" && classes > 2;
    this.outputs = multiclass ? classes : 1;
    const K = this.outputs;
    this.init = new Float64Array(K);
    if (task === "regression") {
      let s = 0;
      for (let i = 0; i < n; i++) s += y[i];
      this.init[0] = n ? s / n : 0;
    } else {
      const counts = new Float64Array(Math.max(classes, 2));
      for (let i = 0; i < n; i++) counts[y[i]]++;
      if (multiclass) for (let k = 0; k < K; k++) this.init[k] = Math.log(Math.max(counts[k], 1e-12) / n);
      else this.init[0] = Math.log(Math.max(counts[1], 1e-12) / Math.max(counts[0], 1e-12));
    }
    this.trees = [];
    if (task === "classification" && classes < 2) return this;

    const raw = new Float64Array(n * K);
    for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) raw[i * K + k] = this.init[k];
    const residual = new Float64Array(n);
    const hess = new Float64Array(n);
    const prob = new Float64Array(n * K);
    const rows = new Int32Array(n);
    for (let stage = 0; stage < nEstimators; stage++) {
      let m = n;
      if (this.options.subsample < 1) {
        m = 0;
        for (let i = 0; i < n; i++) if (rng.next() < this.options.subsample) rows[m++] = i;
      } else for (let i = 0; i < n; i++) rows[i] = i;
      if (multiclass) {
        for (let i = 0; i < n; i++) {
          let max = -Infinity;
          for (let k = 0; k < K; k++) max = Math.max(max, raw[i * K + k]);
          let z = 0;
          for (let k = 0; k < K; k++) z += prob[i * K + k] = Math.exp(raw[i * K + k] - max);
          for (let k = 0; k < K; k++) prob[i * K + k] /= z;
        }
      }
      const stageTrees: Tree[] = [];
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < n; i++) {
          if (task === "regression") {
            residual[i] = y[i] - raw[i];
            hess[i] = 1;
          } else if (!multiclass) {
            const p = 1 / (1 + Math.exp(-raw[i]));
            residual[i] = y[i] - p;
            hess[i] = p * (1 - p);
          } else {
            const p = prob[i * K + k];
            residual[i] = (y[i] === k ? 1 : 0) - p;
            const a = Math.abs(residual[i]);
            hess[i] = a * (1 - a);
          }
        }
        // sklearn's multinomial leaf update scales the Newton step by (K - 1) / K.
        const scale = multiclass ? (K - 1) / K : 1;
        const tree = growTree(
          { x, binned, n, f, thresholds: this.thresholds },
          { rows: rows.subarray(0, m), residual, hess, scale, meanLeaves: task === "regression" },
          this.options.maxDepth,
          this.options.minSamplesLeaf,
        );
        stageTrees.push(tree);
        for (let i = 0; i < n; i++) raw[i * K + k] += learningRate * this.leafValue(tree, binned, n, i);
      }
      this.trees.push(stageTrees);
    }
    return this;
  }

  private leafValue(tree: Tree, binned: Uint8Array, n: number, i: number): number {
    let node = 0;
    while (tree.feature[node] >= 0) {
      const j = tree.feature[node];
      node = binned[j * n + i] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
    }
    return tree.value[node];
  }

  /**
   * Raw scores, n x outputs. Tree by tree over all rows, so one tree stays in cache (row by row through all
   * 5 100 trees of 51 classes x 100 stages took 10 times as long); each score adds its stages in order.
   */
  decision(x: Float64Array, n: number, f: number): Float64Array {
    const K = this.outputs;
    const out = new Float64Array(n * K);
    const lr = this.options.learningRate;
    for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) out[i * K + k] = this.init[k];
    for (const stage of this.trees) {
      for (let k = 0; k < K; k++) {
        const { feature, valueThreshold, left, right, value } = stage[k];
        for (let i = 0; i < n; i++) {
          let node = 0;
          while (feature[node] >= 0)
            node = x[i * f + feature[node]] <= valueThreshold[node] ? left[node] : right[node];
          out[i * K + k] += lr * value[node];
        }
      }
    }
    return out;
  }

  /** Regression: predictions. Classification: class indices. */
  predict(x: Float64Array, n: number, f: number): Float64Array {
    const raw = this.decision(x, n, f);
    if (this.options.task === "regression") return raw;
    const out = new Float64Array(n);
    if (this.classes < 2) return out;
    const K = this.outputs;
    for (let i = 0; i < n; i++) {
      if (K === 1) out[i] = raw[i] > 0 ? 1 : 0;
      else {
        let best = 0;
        for (let k = 1; k < K; k++) if (raw[i * K + k] > raw[i * K + best]) best = k;
        out[i] = best;
      }
    }
    return out;
  }
}
