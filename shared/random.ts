/**
 * Seeded randomness. Nothing in synth calls Math.random: a generator is created from a seed and passed in,
 * so the same seed gives the same synthetic table.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counter, PractRand-clean), seeded through
 * splitmix32 so that nearby seeds give unrelated streams.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller, the spare value cached). */
  normal(): number;
  /** A new independent generator derived from this one (for splitting work deterministically). */
  fork(): Rng;
  /** A 32-bit unsigned integer, for seeding other generators (tfjs ops take a numeric seed). */
  uint32(): number;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** The raw sfc32 stream from a 128-bit state (its outputs as they come, no warm-up). */
export function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
}

export function createRng(seed: number): Rng {
  const init = splitmix32(seed);
  const uint32 = sfc32(init(), init(), init(), init());
  let spare: number | null = null;
  for (let i = 0; i < 12; i++) uint32();

  const next = (): number => uint32() / 4294967296;

  return {
    next,
    uint32,
    int: (n: number) => Math.floor(next() * n),
    normal: () => {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    fork: () => createRng(uint32()),
  };
}

/** Fisher-Yates shuffle of 0..n-1. */
export function permutation(n: number, rng: Rng): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}
