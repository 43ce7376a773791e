import { permutation, type Rng } from "../random.ts";
import { decode, type Params, type Space } from "./space.ts";

/**
 * A Latin hypercube design of n points (skopt's Lhs, "classic" type): each dimension is cut into n equal
 * strata, every stratum holds one point, the strata paired across dimensions by independent permutations and
 * the point drawn uniformly inside its stratum. Categorical dimensions map their stratum onto the levels.
 */
export function lhsPoints(space: Space, n: number, rng: Rng): Params[] {
  const units = Array.from({ length: n }, () => new Float64Array(space.width));
  let at = 0;
  for (const d of space.dimensions) {
    const perm = permutation(n, rng);
    for (let i = 0; i < n; i++) {
      const t = (perm[i] + rng.next()) / n;
      if (d.type === "categorical")
        units[i][at + Math.min(d.values.length - 1, Math.floor(t * d.values.length))] = 1;
      else units[i][at] = t;
    }
    at += d.type === "categorical" ? d.values.length : 1;
  }
  return units.map((u) => decode(space, u));
}
