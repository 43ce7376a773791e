/** Coefficient of determination, 1 - SS_res / SS_tot (scikit-learn's r2_score; 0 when y is constant and fit is not perfect). */
export function r2Score(truth: Float64Array, predicted: Float64Array): number {
  const n = truth.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += truth[i];
  mean /= n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    ssRes += (truth[i] - predicted[i]) ** 2;
    ssTot += (truth[i] - mean) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

/**
 * Macro-averaged F1 over the labels that occur in the truth or the predictions (scikit-learn's
 * f1_score(average="macro")); a label with no true and no predicted positive would be 0/0 and is not listed.
 */
export function macroF1(truth: readonly string[], predicted: readonly string[]): number {
  const labels = new Set([...truth, ...predicted]);
  let sum = 0;
  for (const label of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i] === label;
      const p = predicted[i] === label;
      if (t && p) tp++;
      else if (p) fp++;
      else if (t) fn++;
    }
    const denom = 2 * tp + fp + fn;
    sum += denom === 0 ? 0 : (2 * tp) / denom;
  }
  return labels.size === 0 ? 0 : sum / labels.size;
}
