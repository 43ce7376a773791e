import { synthError } from "../errors.ts";
import type { DataLimits } from "./limits.ts";
import { RawColumn } from "./raw-column.ts";
import { ByteInterner } from "./byte-intern.ts";
import { decodeUtf8 } from "./encoding.ts";
import { MISSING_TOKENS } from "./missing.ts";
import { parseNumberText } from "./number-text.ts";
import type { DataWarning } from "./warnings.ts";
import { checkColumnNames } from "./validate.ts";

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
export const DELIMITERS = [",", ";", "\t", "|"] as const;
export type Delimiter = (typeof DELIMITERS)[number];

/** Powers of ten that are exact doubles: mantissa / 10^k is then correctly rounded (Clinger's fast path). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

export interface CsvReadResult {
  columns: RawColumn[];
  delimiter: Delimiter;
  warnings: DataWarning[];
  /** Original text of the given columns, re-read from the bytes (for numbers that must become strings). */
  recoverText(columnIndexes: readonly number[]): Map<number, (string | null)[]>;
}

/** Picks the delimiter that splits the first lines into the same number of fields most consistently. */
export function detectDelimiter(bytes: Uint8Array, start: number): Delimiter {
  const end = Math.min(bytes.length, start + 65_536);
  const lines: number[][] = [];
  let counts = [0, 0, 0, 0];
  let inQuotes = false;
  for (let i = start; i < end && lines.length < 50; i++) {
    const b = bytes[i];
    if (b === QUOTE) inQuotes = !inQuotes;
    else if (!inQuotes) {
      if (b === LF || b === CR) {
        if (b === CR && bytes[i + 1] === LF) i++;
        lines.push(counts);
        counts = [0, 0, 0, 0];
      } else if (b === 0x2c) counts[0]++;
      else if (b === 0x3b) counts[1]++;
      else if (b === 0x09) counts[2]++;
      else if (b === 0x7c) counts[3]++;
    }
  }
  if (lines.length === 0 || counts.some((c) => c > 0)) lines.push(counts);
  let best = 0;
  let bestScore = -1;
  for (let d = 0; d < DELIMITERS.length; d++) {
    const header = lines[0][d];
    if (header === 0) continue;
    const consistent = lines.filter((l) => l[d] === header).length;
    const score = consistent * 1000 + Math.min(header, 999);
    if (score > bestScore) {
      bestScore = score;
      best = d;
    }
  }
  return DELIMITERS[best];
}

/** Line breaks from pos on: an upper bound of the rows left (quoted line breaks only make it larger). */
function countLines(bytes: Uint8Array, pos: number): number {
  let count = 0;
  let p = bytes.indexOf(LF, pos);
  while (p >= 0) {
    count++;
    p = bytes.indexOf(LF, p + 1);
  }
  if (count === 0) {
    p = bytes.indexOf(CR, pos);
    while (p >= 0) {
      count++;
      p = bytes.indexOf(CR, p + 1);
    }
  }
  return count + 1;
}

const fastAscii = (bytes: Uint8Array, s: number, e: number): string | null => {
  let str = "";
  for (let i = s; i < e; i++) {
    const b = bytes[i];
    if (b >= 0x80) return null;
    str += String.fromCharCode(b);
  }
  return str;
};

/**
 * RFC 4180 CSV read straight from UTF-8 bytes into typed raw columns: one pass, no intermediate string of the
 * whole file and no per-row arrays, which is what keeps peak memory near the size of the result.
 * Numbers are parsed from the bytes; strings are decoded once and interned per column.
 */
export function readCsv(bytes: Uint8Array, limits: DataLimits, delimiterHint?: Delimiter): CsvReadResult {
  const warnings: DataWarning[] = [];
  let pos = 0;
  let declaredSep: Delimiter | undefined;
  // Excel's "sep=;" first line names the delimiter.
  if (bytes.length >= 5 && bytes[0] === 0x73 && bytes[1] === 0x65 && bytes[2] === 0x70 && bytes[3] === 0x3d) {
    const d = String.fromCharCode(bytes[4]);
    const next = bytes[5];
    if ((DELIMITERS as readonly string[]).includes(d) && (next === LF || next === CR || next === undefined)) {
      declaredSep = d as Delimiter;
      pos = 5;
      if (bytes[pos] === CR) pos++;
      if (bytes[pos] === LF) pos++;
    }
  }
  const delimiter = delimiterHint ?? declaredSep ?? detectDelimiter(bytes, pos);
  const DELIM = delimiter.charCodeAt(0);
  // Semicolon files come from locales that write decimals with a comma ("2,5"); elsewhere a comma is text.
  const DECIMAL_COMMA = delimiter === ";" ? 0x2c : -1;
  const n = bytes.length;
  const maxField = limits.maxFieldBytes;
  let newlinesLf = 0;
  let newlinesCrLf = 0;
  let newlinesCr = 0;

  // Scans one field starting at p; returns [start, end, flags, next] through the shared slots below.
  let fStart = 0;
  let fEnd = 0;
  let fQuoted = false;
  let fEscaped = false;
  /** 0: delimiter follows, 1: end of row, 2: end of input. */
  let fTerm = 0;
  let rowNumber = 0; // 0 = header, 1-based data rows after it
  let colNumber = 0;

  const names: string[] = [];
  const where = (): { row: number; column: string; columnNumber: number } => ({
    row: rowNumber,
    column: names[colNumber] ?? `#${colNumber + 1}`,
    columnNumber: colNumber + 1,
  });

  const fieldTooLarge = () =>
    synthError("FIELD_TOO_LARGE", `a field is larger than ${maxField} bytes`, {
      ...where(),
      maxFieldBytes: maxField,
    });

  /** Reads what ends the field at q (delimiter, newline or end of input); returns where the next field starts. */
  const endField = (q: number): number => {
    if (q >= n) {
      fTerm = 2;
      return q;
    }
    const b = bytes[q];
    if (b === DELIM) {
      fTerm = 0;
      return q + 1;
    }
    if (b === LF) {
      newlinesLf++;
      fTerm = 1;
      return q + 1;
    }
    if (b === CR) {
      fTerm = 1;
      if (bytes[q + 1] === LF) {
        newlinesCrLf++;
        return q + 2;
      }
      newlinesCr++;
      return q + 1;
    }
    // Only a quoted field can end on anything else.
    throw synthError(
      "CORRUPT_FILE",
      "unexpected text after a closing quote (a quote inside a quoted field must be doubled)",
      where(),
    );
  };

  const scanField = (p: number): number => {
    if (p < n && bytes[p] === QUOTE) {
      fQuoted = true;
      fEscaped = false;
      let q = p + 1;
      for (;;) {
        const close = bytes.indexOf(QUOTE, q);
        if (close < 0) {
          if (n - p > maxField) {
            throw fieldTooLarge();
          }
          throw synthError("CORRUPT_FILE", "a quoted field is never closed", where());
        }
        if (bytes[close + 1] === QUOTE) {
          fEscaped = true;
          q = close + 2;
          continue;
        }
        fStart = p + 1;
        fEnd = close;
        q = close + 1;
        break;
      }
      if (fEnd - fStart > maxField) {
        throw fieldTooLarge();
      }
      return endField(q);
    }
    fQuoted = false;
    fEscaped = false;
    let q = p;
    while (q < n) {
      const b = bytes[q];
      if (b === DELIM || b === LF || b === CR) break;
      q++;
    }
    fStart = p;
    fEnd = q;
    if (q - p > maxField) {
      throw fieldTooLarge();
    }
    return endField(q);
  };

  const fieldText = (): string => {
    const ascii = fEnd - fStart <= 32 ? fastAscii(bytes, fStart, fEnd) : null;
    let text = ascii ?? decodeUtf8(bytes.subarray(fStart, fEnd), where());
    if (fEscaped) text = text.replaceAll('""', '"');
    return text;
  };

  // ---- header
  if (pos >= n) throw synthError("EMPTY_FILE", "the file is empty");
  for (;;) {
    colNumber = names.length;
    pos = scanField(pos);
    names.push(fieldText().trim());
    if (names.length > limits.maxColumns) {
      throw synthError("TOO_MANY_COLUMNS", `the table has more than ${limits.maxColumns} columns`, {
        maxColumns: limits.maxColumns,
      });
    }
    if (fTerm !== 0) break;
  }
  if (names.length === 1 && names[0] === "" && pos >= n) throw synthError("EMPTY_FILE", "the file is empty");
  checkColumnNames(names);
  const width = names.length;
  const columns = names.map((name) => new RawColumn(name));
  const interners = names.map(() => new ByteInterner());
  const expectedRows = Math.min(countLines(bytes, pos), limits.maxRows);
  for (const c of columns) c.reserve(expectedRows);

  // ---- data rows
  // Row offsets (for re-reading text and locating errors): 4 bytes a row below 4 GiB.
  const Offsets = n < 2 ** 32 ? Uint32Array : Float64Array;
  let rowStarts: Uint32Array | Float64Array = new Offsets(Math.max(1024, expectedRows));
  let rows = 0;
  const ragged: number[] = [];
  let raggedCount = 0;
  let raggedWidth = 0;
  const maxRows = limits.maxRows;

  while (pos < n) {
    const rowStart = pos;
    // A blank line is not a row (pandas' skip_blank_lines); it does not count as ragged.
    if (bytes[pos] === LF || bytes[pos] === CR) {
      pos += bytes[pos] === CR && bytes[pos + 1] === LF ? 2 : 1;
      continue;
    }
    rowNumber = rows + 1;
    if (rows >= maxRows) {
      throw synthError("TOO_MANY_ROWS", `the table has more than ${maxRows} rows`, { maxRows });
    }
    if (rows === rowStarts.length) {
      const grown = new Offsets(rowStarts.length * 2);
      grown.set(rowStarts);
      rowStarts = grown;
    }
    rowStarts[rows] = rowStart;
    let j = 0;
    for (;;) {
      colNumber = j;
      pos = scanField(pos);
      if (j < width) pushField(columns[j], interners[j]);
      j++;
      if (fTerm !== 0) break;
    }
    if (j !== width) {
      raggedCount++;
      if (ragged.length < 20) ragged.push(rowNumber);
      if (raggedWidth === 0) raggedWidth = j;
      for (let k = j; k < width; k++) columns[k].pushNull();
    }
    rows++;
  }

  if (raggedCount > 0) {
    throw synthError(
      "RAGGED_ROW",
      `${raggedCount} row(s) do not have ${width} fields like the header (first: row ${ragged[0]} has ${raggedWidth})`,
      { row: ragged[0], rows: ragged, count: raggedCount, expected: width, found: raggedWidth },
    );
  }
  const kinds = [newlinesLf, newlinesCrLf, newlinesCr].filter((c) => c > 0).length;
  if (kinds > 1) {
    warnings.push({
      code: "MIXED_NEWLINES",
      message: `the file mixes line endings (LF: ${newlinesLf}, CRLF: ${newlinesCrLf}, CR: ${newlinesCr}); all were read as row ends`,
    });
  }

  function pushField(col: RawColumn, cache: ByteInterner): void {
    const s = fStart;
    const e = fEnd;
    if (s === e) {
      col.pushNull();
      return;
    }
    const b0 = bytes[s];
    if (!fQuoted && ((b0 >= 0x30 && b0 <= 0x39) || b0 === 0x2d || b0 === 0x2e || b0 === 0x2b)) {
      if (pushNumberBytes(col, s, e)) return;
    }
    // Repeated categories and missing tokens: answered from the bytes, without decoding.
    const cacheable = !fEscaped && e - s <= 64;
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
    const text = fieldText();
    if (text.length <= 4 && MISSING_TOKENS.has(text.trim())) {
      // Held as missing; the column decides once read whether each token is missing or a value.
      col.pushText(text);
      if (cacheable && !cache.full && text.trim() !== "") cache.add(bytes, s, e, h, null, text);
      return;
    }
    if (fQuoted || b0 === 0x20 || b0 === 0x09) {
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

  /** Plain decimal numbers without exponent and with at most 15 significant digits, straight from bytes. */
  function pushNumberBytes(col: RawColumn, s: number, e: number): boolean {
    let i = s;
    let neg = false;
    const first = bytes[i];
    if (first === 0x2d) {
      neg = true;
      i++;
    } else if (first === 0x2b) return pushSlow(col);
    const intStart = i;
    let mant = 0;
    while (i < e) {
      const d = bytes[i] - 0x30;
      if (d < 0 || d > 9) break;
      mant = mant * 10 + d;
      i++;
    }
    const intDigits = i - intStart;
    if (intDigits > 1 && bytes[intStart] === 0x30) return false; // "007": a code, keep the text
    let decimals = 0;
    let comma = false;
    if (i < e && (bytes[i] === 0x2e || (bytes[i] === DECIMAL_COMMA && (comma = true)))) {
      i++;
      const fracStart = i;
      while (i < e) {
        const d = bytes[i] - 0x30;
        if (d < 0 || d > 9) break;
        mant = mant * 10 + d;
        i++;
      }
      decimals = i - fracStart;
      if (decimals === 0 && (intDigits === 0 || comma)) return false;
    } else if (intDigits === 0) return false;
    if (i !== e) {
      const c = bytes[i];
      return c === 0x65 || c === 0x45 || c === 0x20 ? pushSlow(col) : false;
    }
    if (intDigits + decimals > 15) return pushSlow(col);
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
    return true;
  }

  function pushSlow(col: RawColumn): boolean {
    const text = fieldText();
    const parsed = parseNumberText(text);
    if (parsed === null) return false;
    col.pushNumber(parsed.value, parsed.decimals, parsed.canonical);
    return true;
  }

  for (const c of columns) c.finish();
  const finalRowStarts = rowStarts.subarray(0, rows);

  function recoverText(columnIndexes: readonly number[]): Map<number, (string | null)[]> {
    const out = new Map<number, (string | null)[]>();
    const wanted = new Int32Array(width).fill(-1);
    const arrays: (string | null)[][] = [];
    columnIndexes.forEach((j, k) => {
      wanted[j] = k;
      arrays.push(new Array<string | null>(rows));
      out.set(j, arrays[k]);
    });
    for (let r = 0; r < rows; r++) {
      let p = finalRowStarts[r];
      rowNumber = r + 1;
      for (let j = 0; ; j++) {
        colNumber = j;
        p = scanField(p);
        if (j < width && wanted[j] >= 0) arrays[wanted[j]][r] = fStart === fEnd ? null : fieldText();
        if (fTerm !== 0) break;
      }
    }
    return out;
  }

  return { columns, delimiter, warnings, recoverText };
}
