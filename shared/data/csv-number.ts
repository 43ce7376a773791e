import type { RawColumn } from "./raw-column.ts";

/** Powers of ten that are exact doubles: mantissa / 10^k is then correctly rounded (Clinger's fast path). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** What readNumberBytes did with a field. */
export const NOT_A_NUMBER = 0;
export const PUSHED = 1;
/** A number this fast path does not handle (exponent, sign, padding, more than 15 digits): parse its text. */
export const NEEDS_TEXT = 2;

/**
 * Plain decimal numbers without exponent and with at most 15 significant digits, parsed straight from the bytes
 * [s, e) and pushed into the column. `decimalComma` is the byte of a decimal comma, or -1 when a comma is text.
 */
export function readNumberBytes(
  bytes: Uint8Array,
  s: number,
  e: number,
  decimalComma: number,
  col: RawColumn,
): number {
  let i = s;
  let neg = false;
  const first = bytes[i];
  if (first === 0x2d) {
    neg = true;
    i++;
  } else if (first === 0x2b) return NEEDS_TEXT;
  const intStart = i;
  let mant = 0;
  while (i < e) {
    const d = bytes[i] - 0x30;
    if (d < 0 || d > 9) break;
    mant = mant * 10 + d;
    i++;
  }
  const intDigits = i - intStart;
  if (intDigits > 1 && bytes[intStart] === 0x30) return NOT_A_NUMBER; // "007": a code, keep the text
  let decimals = 0;
  let comma = false;
  if (i < e && (bytes[i] === 0x2e || (bytes[i] === decimalComma && (comma = true)))) {
    i++;
    const fracStart = i;
    while (i < e) {
      const d = bytes[i] - 0x30;
      if (d < 0 || d > 9) break;
      mant = mant * 10 + d;
      i++;
    }
    decimals = i - fracStart;
    if (decimals === 0 && (intDigits === 0 || comma)) return NOT_A_NUMBER;
  } else if (intDigits === 0) return NOT_A_NUMBER;
  if (i !== e) {
    const c = bytes[i];
    return c === 0x65 || c === 0x45 || c === 0x20 ? NEEDS_TEXT : NOT_A_NUMBER;
  }
  if (intDigits + decimals > 15) return NEEDS_TEXT;
  let value = decimals === 0 ? mant : mant / POW10[decimals];
  if (neg) value = -value;
  // Canonical when String(value) writes the same text back: no trailing zero after the point, no "-0",
  // no lone point, no leading "." (String(0.5) is "0.5").
  const canonical =
    !comma &&
    !(decimals > 0 && bytes[e - 1] === 0x30) &&
    !(neg && value === 0) &&
    !(decimals === 0 && bytes[e - 1] === 0x2e) &&
    intDigits > 0 &&
    (value === 0 || Math.abs(value) >= 1e-6);
  col.pushNumber(value, decimals, canonical);
  return PUSHED;
}
