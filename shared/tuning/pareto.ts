/** A trial's position for the Pareto front: quality (higher better), fit time (lower), privacy (higher). */
export interface ParetoPoint {
  quality: number;
  fitSeconds: number;
  privacy: number;
}

/** a dominates b: no worse on every axis and better on at least one. */
export function dominates(a: ParetoPoint, b: ParetoPoint): boolean {
  const noWorse = a.quality >= b.quality && a.fitSeconds <= b.fitSeconds && a.privacy >= b.privacy;
  const better = a.quality > b.quality || a.fitSeconds < b.fitSeconds || a.privacy > b.privacy;
  return noWorse && better;
}

/** Indices of the non-dominated points, in input order (O(n^2): a study has tens of trials). */
export function paretoFront(points: readonly ParetoPoint[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < points.length; i++) {
    if (!points.some((q, j) => j !== i && dominates(q, points[i]))) out.push(i);
  }
  return out;
}
