/**
 * A per-column cache from raw field bytes to the value they read as (an interned string, or null and its text
 * for a missing token), so a repeated category costs a hash and a byte compare instead of a UTF-8 decode, a string allocation
 * and a Map lookup. Bounded: a high-cardinality column simply stops adding entries.
 */
export class ByteInterner {
  private mask: number;
  private slots: Int32Array;
  private hashes: Int32Array;
  private offsets: Int32Array;
  private arena: Uint8Array;
  private arenaUsed = 0;
  /** The interned string, or null for a missing token (whose text is in `tokens`). */
  readonly values: (string | null)[] = [];
  /** The text of each missing token cached (undefined for other entries). */
  readonly tokens: (string | undefined)[] = [];
  full = false;

  constructor(
    private readonly maxEntries = 4096,
    private readonly maxArena = 1 << 18,
  ) {
    // Start small and double: a table of a few hundred rows should not pay for a 4096-entry table per column.
    this.mask = 63;
    this.slots = new Int32Array(64).fill(-1);
    this.hashes = new Int32Array(32);
    this.offsets = new Int32Array(33);
    this.arena = new Uint8Array(1024);
  }

  private growTable(): void {
    const size = this.slots.length * 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size).fill(-1);
    const hashes = new Int32Array(size / 2);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const offsets = new Int32Array(size / 2 + 1);
    offsets.set(this.offsets);
    this.offsets = offsets;
    for (let idx = 0; idx < this.values.length; idx++) {
      let slot = this.hashes[idx] & this.mask;
      while (this.slots[slot] >= 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = idx;
    }
  }

  static hash(bytes: Uint8Array, s: number, e: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = s; i < e; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    return h;
  }

  /** Index of the entry with exactly these bytes, or -1. */
  find(bytes: Uint8Array, s: number, e: number, h: number): number {
    const len = e - s;
    let slot = h & this.mask;
    for (;;) {
      const idx = this.slots[slot];
      if (idx < 0) return -1;
      if (this.hashes[idx] === h) {
        const o = this.offsets[idx];
        if (this.offsets[idx + 1] - o === len) {
          let k = 0;
          while (k < len && this.arena[o + k] === bytes[s + k]) k++;
          if (k === len) return idx;
        }
      }
      slot = (slot + 1) & this.mask;
    }
  }

  add(bytes: Uint8Array, s: number, e: number, h: number, value: string | null, token?: string): void {
    const idx = this.values.length;
    const len = e - s;
    if (idx >= this.maxEntries || this.arenaUsed + len > this.maxArena) {
      this.full = true;
      return;
    }
    if ((idx + 1) * 2 > this.slots.length) this.growTable();
    if (this.arenaUsed + len > this.arena.length) {
      const grown = new Uint8Array(
        Math.min(this.maxArena, Math.max(this.arena.length * 2, this.arenaUsed + len)),
      );
      grown.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = grown;
    }
    this.arena.set(bytes.subarray(s, e), this.arenaUsed);
    this.offsets[idx] = this.arenaUsed;
    this.arenaUsed += len;
    this.offsets[idx + 1] = this.arenaUsed;
    this.hashes[idx] = h;
    this.values.push(value);
    this.tokens.push(token);
    let slot = h & this.mask;
    while (this.slots[slot] >= 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = idx;
  }
}
