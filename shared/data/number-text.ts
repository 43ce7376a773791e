/**
 * Numbers written as text. A number is read only from plain decimal notation (sign, digits, point, exponent):
 * thousands separators, currency symbols and leading zeros ("007", a code rather than a quantity) keep the
 * value a string.
 */
const NUMBER_RE = /^[-+]?(?:(?:0|[1-9]\d*)(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

export interface ParsedNumber {
  value: number;
  /** Digits after the decimal point as written (0 for integers and exponent notation). */
  decimals: number;
  /** String(value) gives the text back exactly, so the text need not be kept. */
  canonical: boolean;
}

export function parseNumberText(text: string): ParsedNumber | null {
  const t = text.trim();
  if (t.length === 0 || t.length > 64 || !NUMBER_RE.test(t)) return null;
  const value = Number(t);
  if (!Number.isFinite(value)) return null;
  const dot = t.indexOf(".");
  const exp = t.search(/[eE]/);
  const decimals = dot < 0 || exp >= 0 ? 0 : t.length - dot - 1;
  return { value, decimals, canonical: String(value) === text };
}

/** Decimal digits needed to write a finite number as JavaScript does (String(x)), capped at 20. */
export function decimalsOf(value: number): number {
  if (Number.isInteger(value)) return 0;
  const s = String(value);
  const e = s.indexOf("e-");
  if (e >= 0) {
    const mantissa = s.slice(0, e);
    const dot = mantissa.indexOf(".");
    return Math.min(20, (dot < 0 ? 0 : mantissa.length - dot - 1) + Number(s.slice(e + 2)));
  }
  const dot = s.indexOf(".");
  return dot < 0 ? 0 : Math.min(20, s.length - dot - 1);
}
