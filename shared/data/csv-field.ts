import { ByteInterner } from "./byte-intern.ts";
import { NEEDS_TEXT, PUSHED, readNumberBytes } from "./csv-number.ts";
import type { CsvTokenizer } from "./csv-tokenizer.ts";
import { MISSING_TOKENS } from "./missing.ts";
import { parseNumberText } from "./number-text.ts";
import type { RawColumn } from "./raw-column.ts";

/**
 * Puts the tokenizer's current field into its column, cheapest reading first: empty is missing; an unquoted field
 * that starts like a number is parsed from the bytes; a repeated category or missing token is answered from the
 * column's byte cache without decoding; only then is the field decoded, as a missing token (held as missing until
 * the column decides), a quoted or padded number, or a string.
 */
export function pushField(
  tokens: CsvTokenizer,
  decimalComma: number,
  col: RawColumn,
  cache: ByteInterner,
): void {
  const bytes = tokens.bytes;
  const s = tokens.start;
  const e = tokens.end;
  if (s === e) {
    col.pushNull();
    return;
  }
  const b0 = bytes[s];
  if (!tokens.quoted && ((b0 >= 0x30 && b0 <= 0x39) || b0 === 0x2d || b0 === 0x2e || b0 === 0x2b)) {
    const read = readNumberBytes(bytes, s, e, decimalComma, col);
    if (read === PUSHED || (read === NEEDS_TEXT && pushNumberText(tokens, col))) return;
  }
  const cacheable = !tokens.escaped && e - s <= 64;
  let h = 0;
  if (cacheable) {
    h = ByteInterner.hash(bytes, s, e);
    const idx = cache.find(bytes, s, e, h);
    if (idx >= 0) {
      const v = cache.values[idx];
      if (v === null) col.pushMissingToken(cache.tokens[idx]!);
      else col.pushInterned(v);
      return;
    }
  }
  const text = tokens.text();
  if (text.length <= 4 && MISSING_TOKENS.has(text.trim())) {
    // Held as missing; the column decides once read whether each token is missing or a value.
    col.pushText(text);
    if (cacheable && !cache.full && text.trim() !== "") cache.add(bytes, s, e, h, null, text);
    return;
  }
  if (tokens.quoted || b0 === 0x20 || b0 === 0x09) {
    const before = col.numbers;
    // A quoted or padded number is still a number (some tools quote or align every field).
    col.pushText(text);
    if (col.numbers !== before || !cacheable || cache.full) return;
    // It was a string: the column has interned it, cache that copy.
    cache.add(bytes, s, e, h, col.distinctStrings.get(text) ?? text);
    return;
  }
  const interned = col.pushString(text);
  if (cacheable && !cache.full) cache.add(bytes, s, e, h, interned);
}

/** The slow path for numbers the byte parser leaves alone (exponents, a plus sign, long mantissas). */
function pushNumberText(tokens: CsvTokenizer, col: RawColumn): boolean {
  const parsed = parseNumberText(tokens.text());
  if (parsed === null) return false;
  col.pushNumber(parsed.value, parsed.decimals, parsed.canonical);
  return true;
}
