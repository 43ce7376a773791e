/**
 * Pearson's r over the rows where both values are present (SDMetrics' CorrelationSimilarity drops rows with a
 * missing value in either column). Two-pass (centred) formula, as scipy.stats.pearsonr. Null when fewer than
 * two complete rows or when either column is constant (correlation undefined; SDMetrics scores NaN).
 */
export function pearson(a: Float64Array, b: Float64Array): number | null {
  const n = a.length;
  let count = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== x || y !== y) continue;
    sa += x;
    sb += y;
    count++;
  }
  if (count < 2) return null;
  const ma = sa / count;
  const mb = sb / count;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== x || y !== y) continue;
    const dx = x - ma;
    const dy = y - mb;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/** SDMetrics CorrelationSimilarity: 1 - |r_real - r_synth| / 2. */
export function correlationSimilarity(realR: number | null, syntheticR: number | null): number | null {
  if (realR === null || syntheticR === null) return null;
  return 1 - Math.abs(realR - syntheticR) / 2;
}
