import type { Rng } from "../random.ts";

/**
 * Bounded keepers for a stream of scored column pairs: a wide table has millions of pairs, every one is
 * scored, but a report can only carry a few thousand of them (2 000 columns made a 1.9 GB report string).
 */

export interface Scored<T> {
  /** Position in the stream (pair order), so selections are put back in table order. */
  index: number;
  score: number | null;
  item: T;
}

/** The `capacity` lowest scores seen (null scores are never "worst"), as a max-heap on score. */
export class WorstKeeper<T> {
  private readonly heap: Scored<T>[] = [];

  constructor(private readonly capacity: number) {}

  offer(entry: Scored<T>): void {
    if (this.capacity <= 0 || entry.score === null) return;
    const h = this.heap;
    if (h.length < this.capacity) {
      h.push(entry);
      this.up(h.length - 1);
    } else if (worse(entry, h[0])) {
      h[0] = entry;
      this.down(0);
    }
  }

  items(): Scored<T>[] {
    return [...this.heap];
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < h.length && worse(h[top], h[l])) top = l;
      if (r < h.length && worse(h[top], h[r])) top = r;
      if (top === i) return;
      [h[top], h[i]] = [h[i], h[top]];
      i = top;
    }
  }
}

/** a ranks below b (lower score; on ties the later pair, so the earliest of equal pairs are kept). */
function worse<T>(a: Scored<T>, b: Scored<T>): boolean {
  const sa = a.score as number;
  const sb = b.score as number;
  return sa < sb || (sa === sb && a.index > b.index);
}

/** A uniform sample of `capacity` entries of the stream (Vitter's algorithm R), driven by a seeded Rng. */
export class Reservoir<T> {
  private readonly kept: Scored<T>[] = [];
  private seen = 0;

  constructor(
    private readonly capacity: number,
    private readonly rng: Rng,
  ) {}

  offer(entry: Scored<T>): void {
    this.seen++;
    if (this.capacity <= 0) return;
    if (this.kept.length < this.capacity) this.kept.push(entry);
    else {
      const j = this.rng.int(this.seen);
      if (j < this.capacity) this.kept[j] = entry;
    }
  }

  /** In a random order: the sample's own order is as random as its content. */
  items(): Scored<T>[] {
    return [...this.kept];
  }
}

/** Largest h <= max with h (h - 1) / 2 <= budget: a heatmap of h columns shows that many pairs. */
export function heatmapColumnCount(max: number, budget: number): number {
  let h = Math.max(0, Math.min(max, Math.floor(Math.sqrt(2 * budget)) + 1));
  while (h > 0 && (h * (h - 1)) / 2 > budget) h--;
  return h;
}
