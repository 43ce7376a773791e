import type { Rng } from "../random.ts";
import { decode, type Params, type Space } from "./space.ts";

/** A uniform point of the space (log-uniform on log dimensions), as skopt's Space.rvs draws them. */
export function randomUnit(space: Space, rng: Rng): Float64Array {
  const u = new Float64Array(space.width);
  let at = 0;
  for (const d of space.dimensions) {
    if (d.type === "categorical") {
      u[at + rng.int(d.values.length)] = 1;
      at += d.values.length;
    } else u[at++] = rng.next();
  }
  return u;
}

export function randomPoints(space: Space, n: number, rng: Rng): Params[] {
  return Array.from({ length: n }, () => decode(space, randomUnit(space, rng)));
}
