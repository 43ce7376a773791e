import { describe, expect, it } from "vitest";
import { ByteInterner } from "./byte-intern.ts";

describe("ByteInterner", () => {
  it("finds every entry it added across table growth, and stops adding when full", () => {
    const enc = new TextEncoder();
    const cache = new ByteInterner(4096);
    const keys = Array.from({ length: 5000 }, (_, i) => enc.encode(`key-${i}-${"x".repeat(i % 17)}`));
    keys.forEach((k, i) => {
      const h = ByteInterner.hash(k, 0, k.length);
      expect(cache.find(k, 0, k.length, h)).toBe(-1);
      cache.add(k, 0, k.length, h, i % 5 === 0 ? null : `v${i}`);
    });
    expect(cache.full).toBe(true);
    keys.forEach((k, i) => {
      const idx = cache.find(k, 0, k.length, ByteInterner.hash(k, 0, k.length));
      if (i < 4096) expect(cache.values[idx]).toBe(i % 5 === 0 ? null : `v${i}`);
      else expect(idx).toBe(-1);
    });
    // Same bytes at another offset are the same key; a prefix is not.
    const padded = new Uint8Array([0, 0, ...keys[7]]);
    expect(cache.find(padded, 2, padded.length, ByteInterner.hash(padded, 2, padded.length))).toBe(7);
    expect(
      cache.find(keys[7], 0, keys[7].length - 1, ByteInterner.hash(keys[7], 0, keys[7].length - 1)),
    ).toBe(-1);
  });
});
