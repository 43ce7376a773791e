import type { PiiKind } from "./metadata.ts";

/** How many distinct values of a column are checked for personal data, and the share that must match. */
export const PII_SAMPLE = 500;
export const PII_MIN_SHARE = 0.8;

const EMAIL = /^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
const URL_RE = /^(?:https?:\/\/|www\.)[^\s]+$/i;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const IPV6 = /^(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}$/i;
const SSN = /^\d{3}-\d{2}-\d{4}$/;
const PHONE = /^\+?[\d\s().-]{7,22}$/;
const CARD = /^\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{1,7}$/;
const IBAN = /^[A-Z]{2}\d{2}[A-Z0-9 ]{11,34}$/;

function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 must be 1. */
function ibanValid(text: string): boolean {
  const s = text.replace(/ /g, "");
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 ? String(code - 55) : ch;
    for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

/** The kind of personal data a single value looks like, from its content alone. */
export function detectPii(text: string): PiiKind | undefined {
  const t = text.trim();
  if (t.length < 5 || t.length > 254) return undefined;
  if (t.includes("@")) return EMAIL.test(t) ? "email" : undefined;
  if (URL_RE.test(t)) return "url";
  if (SSN.test(t)) return "ssn";
  if (IPV4.test(t)) return "ip_address";
  if (t.includes(":") && IPV6.test(t)) return "ip_address";
  if (CARD.test(t)) {
    const digits = t.replace(/[ -]/g, "");
    if (digits.length >= 13 && digits.length <= 19 && luhn(digits)) return "credit_card";
  }
  if (IBAN.test(t) && ibanValid(t)) return "iban";
  if (PHONE.test(t)) {
    const digits = t.replace(/\D/g, "").length;
    // A separator or a leading + tells a phone number from a plain integer written as text.
    if (digits >= 7 && digits <= 15 && /[\s().+-]/.test(t) && !/^\d{4}-\d{1,2}-\d{1,2}$/.test(t)) {
      return "phone";
    }
  }
  return undefined;
}

const NAME_HINTS: readonly [RegExp, PiiKind][] = [
  [/^(?:e[-_ ]?mail|email[-_ ]?address|mail)$/i, "email"],
  [/(?:^|[-_ ])(?:phone|mobile|tel|telephone|cell)(?:[-_ ]?(?:number|no))?$/i, "phone"],
  [
    /^(?:(?:first|last|full|given|family|middle|sur|user|customer|patient)[-_ ]?name|name|surname|forename)$/i,
    "name",
  ],
  [/(?:^|[-_ ])(?:address|street|addr)(?:[-_ ]?line[-_ ]?\d)?$/i, "address"],
  [/^(?:ssn|social[-_ ]?security(?:[-_ ]?number)?)$/i, "ssn"],
  [/^(?:iban|bank[-_ ]?account)$/i, "iban"],
  [/^(?:credit[-_ ]?card(?:[-_ ]?number)?|card[-_ ]?number|ccn)$/i, "credit_card"],
  [/^(?:ip|ip[-_ ]?address|ipv4|ipv6)$/i, "ip_address"],
];

/** The kind of personal data a column name announces (names and addresses cannot be told from content). */
export function piiFromName(name: string): PiiKind | undefined {
  for (const [re, kind] of NAME_HINTS) if (re.test(name.trim())) return kind;
  return undefined;
}
