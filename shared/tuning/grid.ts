import { validationError } from "../errors.ts";
import { decodeDimension, pointKey, snap, type Level, type Params, type Space } from "./space.ts";

export interface GridOptions {
  /** Values per numeric dimension (evenly spaced in the unit scale, so log dimensions get log spacing). */
  pointsPerDimension?: number;
  /** A grid with more points than this is refused (VALIDATION_ERROR, the count in the details). */
  maxPoints?: number;
}

/** The values a grid takes along each dimension (integers deduplicated, categorical: every level). */
function axis(space: Space, index: number, k: number): Level[] {
  const d = space.dimensions[index];
  if (d.type === "categorical") return [...d.values];
  const out: Level[] = [];
  const u = new Float64Array(1);
  for (let i = 0; i < k; i++) {
    u[0] = k === 1 ? 0.5 : i / (k - 1);
    // Integer cells are [j/(n), (j+1)/n): the top edge must land in the last cell, not past it.
    if (d.type === "int" && !d.log && u[0] === 1) u[0] = 1 - 1e-12;
    const v = decodeDimension({ ...d }, u, 0);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

export function gridSize(space: Space, options: GridOptions = {}): number {
  const k = options.pointsPerDimension ?? 5;
  return space.dimensions.reduce((n, _d, i) => n * axis(space, i, k).length, 1);
}

/** Every combination, in lexicographic order (first dimension slowest), duplicates after snapping dropped. */
export function gridPoints(space: Space, options: GridOptions = {}): Params[] {
  const k = options.pointsPerDimension ?? 5;
  const max = options.maxPoints ?? 1000;
  const axes = space.dimensions.map((_d, i) => axis(space, i, k));
  const count = axes.reduce((n, a) => n * a.length, 1);
  if (count > max) {
    throw validationError(
      `the grid has ${count} points, more than the ${max} allowed: fewer points per dimension, fewer dimensions or random search`,
      { count, maxPoints: max, pointsPerDimension: k },
    );
  }
  const out: Params[] = [];
  const seen = new Set<string>();
  const idx = new Array<number>(axes.length).fill(0);
  for (let n = 0; n < count; n++) {
    const p: Params = {};
    axes.forEach((a, i) => (p[space.dimensions[i].name] = a[idx[i]]));
    const snapped = snap(space, p);
    const key = pointKey(space, snapped);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(snapped);
    }
    for (let i = axes.length - 1; i >= 0; i--) {
      if (++idx[i] < axes[i].length) break;
      idx[i] = 0;
    }
  }
  return out;
}
