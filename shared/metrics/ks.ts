import { finiteValues } from "./columns.ts";

/**
 * Two-sample Kolmogorov-Smirnov statistic D = sup |F_real - F_synth| over the pooled sample, computed as
 * scipy.stats.ks_2samp does (empirical CDFs evaluated at every observed value, side="right"). Missing
 * values (NaN) are ignored, as SDMetrics' KSComplement drops them. Returns null when a side is empty.
 */
export function ksStatistic(a: Float64Array, b: Float64Array): number | null {
  const x = finiteValues(a).sort();
  const y = finiteValues(b).sort();
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0) return null;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n || j < m) {
    // Step past every copy of the next smallest value on both sides, then compare the CDFs there.
    const v = j >= m || (i < n && x[i] <= y[j]) ? x[i] : y[j];
    while (i < n && x[i] <= v) i++;
    while (j < m && y[j] <= v) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  return d;
}

/** SDMetrics KSComplement: 1 - D, 1 when the distributions are identical. */
export function ksComplement(real: Float64Array, synthetic: Float64Array): number | null {
  const d = ksStatistic(real, synthetic);
  return d === null ? null : 1 - d;
}
