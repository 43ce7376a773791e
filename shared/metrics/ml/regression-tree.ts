/** A grown tree in arrays: node 0 is the root; a leaf has feature -1. */
export interface Tree {
  feature: Int32Array;
  /** Bin index of the split (training rows go left when their bin is <= it). */
  threshold: Float64Array;
  /** The split value for new rows: midway between the node's largest value going left and smallest going right, as scikit-learn places it. */
  valueThreshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

export interface TreeInput {
  /** Row-major n x f features, for the split values new rows are compared with. */
  x: Float64Array;
  /** Column-major f x n bin indices of the features. */
  binned: Uint8Array;
  n: number;
  f: number;
  /** Split thresholds per feature (a feature with none cannot split). */
  thresholds: readonly Float64Array[];
}

export interface TreeTargets {
  /** The rows this tree is fitted on. */
  rows: Int32Array;
  /** Negative gradient and hessian per row. */
  residual: Float64Array;
  hess: Float64Array;
  /** Leaf values: the mean residual (least squares) or the Newton step scale * sum(g) / sum(h). */
  meanLeaves: boolean;
  scale: number;
}

/**
 * One least-squares regression tree on the negative gradient, grown depth-first to maxDepth: at each node the
 * best split over every feature's bins (a histogram of residual sums), rows partitioned in place, and a leaf
 * value where no split gains or the node is too small or too deep.
 */
export function growTree(
  input: TreeInput,
  targets: TreeTargets,
  maxDepth: number,
  minSamplesLeaf: number,
): Tree {
  return new TreeGrower(input, targets, maxDepth, minSamplesLeaf).grow();
}

class TreeGrower {
  private readonly tree: Tree;
  private nodes = 1;
  /** The node's rows are order[start, end); splitting partitions that range in place. */
  private readonly order: Int32Array;
  private readonly sumG = new Float64Array(256);
  private readonly cnt = new Int32Array(256);

  constructor(
    private readonly input: TreeInput,
    private readonly targets: TreeTargets,
    private readonly maxDepth: number,
    private readonly minSamplesLeaf: number,
  ) {
    const maxNodes = 2 ** (maxDepth + 1) - 1;
    this.tree = {
      feature: new Int32Array(maxNodes).fill(-1),
      threshold: new Float64Array(maxNodes),
      valueThreshold: new Float64Array(maxNodes),
      left: new Int32Array(maxNodes).fill(-1),
      right: new Int32Array(maxNodes).fill(-1),
      value: new Float64Array(maxNodes),
    };
    this.order = Int32Array.from(targets.rows);
  }

  grow(): Tree {
    this.build(0, 0, this.order.length, 0);
    return this.tree;
  }

  private build(node: number, start: number, end: number, depth: number): void {
    if (depth >= this.maxDepth || end - start < 2 * this.minSamplesLeaf) {
      this.setLeaf(node, start, end);
      return;
    }
    const split = this.bestSplit(start, end);
    if (split === null) {
      this.setLeaf(node, start, end);
      return;
    }
    const mid = this.partition(start, end, split.feature, split.bin);
    const tree = this.tree;
    const l = this.nodes++;
    const r = this.nodes++;
    tree.feature[node] = split.feature;
    tree.threshold[node] = split.bin;
    tree.valueThreshold[node] = this.splitValue(start, mid, end, split.feature);
    tree.left[node] = l;
    tree.right[node] = r;
    this.build(l, start, mid, depth + 1);
    this.build(r, mid, end, depth + 1);
  }

  private setLeaf(node: number, start: number, end: number): void {
    const { residual, hess, meanLeaves, scale } = this.targets;
    const order = this.order;
    let g = 0;
    let h = 0;
    for (let p = start; p < end; p++) {
      g += residual[order[p]];
      h += hess[order[p]];
    }
    const count = end - start;
    if (meanLeaves) this.tree.value[node] = count ? g / count : 0;
    else this.tree.value[node] = Math.abs(h) < 1e-150 ? 0 : (scale * g) / h;
  }

  /** The split of order[start, end) that most reduces the squared error, or null when none gains. */
  private bestSplit(start: number, end: number): { feature: number; bin: number } | null {
    const { binned, n, f, thresholds } = this.input;
    const residual = this.targets.residual;
    const { order, sumG, cnt, minSamplesLeaf } = this;
    const count = end - start;
    let total = 0;
    for (let p = start; p < end; p++) total += residual[order[p]];
    const parentScore = (total * total) / count;
    let bestGain = 1e-12 * Math.max(1, Math.abs(parentScore));
    let bestFeature = -1;
    let bestBin = -1;
    for (let j = 0; j < f; j++) {
      const bins = thresholds[j].length + 1;
      if (bins < 2) continue;
      sumG.fill(0, 0, bins);
      cnt.fill(0, 0, bins);
      const base = j * n;
      for (let p = start; p < end; p++) {
        const i = order[p];
        const b = binned[base + i];
        sumG[b] += residual[i];
        cnt[b]++;
      }
      let gl = 0;
      let nl = 0;
      for (let b = 0; b < bins - 1; b++) {
        gl += sumG[b];
        nl += cnt[b];
        const nr = count - nl;
        if (nl < minSamplesLeaf) continue;
        if (nr < minSamplesLeaf) break;
        const gr = total - gl;
        const gain = (gl * gl) / nl + (gr * gr) / nr - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = j;
          bestBin = b;
        }
      }
    }
    return bestFeature < 0 ? null : { feature: bestFeature, bin: bestBin };
  }

  /** Partitions order[start, end) so rows going left come first; returns where the right rows start. */
  private partition(start: number, end: number, feature: number, bin: number): number {
    const { binned, n } = this.input;
    const order = this.order;
    const base = feature * n;
    let i = start;
    let k = end - 1;
    while (i <= k) {
      if (binned[base + order[i]] <= bin) i++;
      else {
        const t = order[i];
        order[i] = order[k];
        order[k] = t;
        k--;
      }
    }
    return i;
  }

  /** Midway between the largest value going left and the smallest going right, as scikit-learn places it. */
  private splitValue(start: number, mid: number, end: number, feature: number): number {
    const { x, f } = this.input;
    const order = this.order;
    let maxLeft = -Infinity;
    let minRight = Infinity;
    for (let p = start; p < mid; p++) maxLeft = Math.max(maxLeft, x[order[p] * f + feature]);
    for (let p = mid; p < end; p++) minRight = Math.min(minRight, x[order[p] * f + feature]);
    const cut = maxLeft / 2 + minRight / 2;
    return cut === minRight || !Number.isFinite(cut) ? maxLeft : cut;
  }
}
