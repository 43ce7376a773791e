/**
 * Bulk 32-bit random draws for the networks' noise: a local sfc32 stream (the generator of shared/random.ts)
 * seeded with 128 bits from the caller's Rng and kept in local variables, because calling the Rng object
 * per value cost more than what the values were for (a Gumbel draw, a dropout decision, a ziggurat step).
 * Deterministic given `rng`'s state, which advances by exactly four draws.
 */
import type { Rng } from "../../random.ts";

export function fillUint32(out: Uint32Array, rng: Rng): Uint32Array {
  let a = rng.uint32() | 0;
  let b = rng.uint32() | 0;
  let c = rng.uint32() | 0;
  let d = rng.uint32() | 1;
  for (let i = 0; i < out.length + 12; i++) {
    // Signed 32-bit arithmetic: the same bits as createRng's unsigned form, but V8 keeps the state unboxed.
    const u = (a + b + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + u) | 0;
    // The first 12 outputs only mix the seed (as createRng does).
    if (i >= 12) out[i - 12] = u;
  }
  return out;
}
