import { synthError } from "../errors.ts";
import { decodeUtf8 } from "./encoding.ts";

export const QUOTE = 0x22;
export const LF = 0x0a;
export const CR = 0x0d;

/** What ended the current field. */
export const DELIMITER_FOLLOWS = 0;
export const ROW_END = 1;
export const INPUT_END = 2;

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
 * The RFC 4180 field scanner, over UTF-8 bytes. `next(p)` reads one field starting at p (a quoted field, with
 * doubled quotes inside, or a plain one up to the delimiter or line end), then what ends it, and returns where the
 * next field starts. The field itself is left in the public slots (start, end, quoted, escaped, term) rather than
 * returned as an object: the reader scans one field at a time and allocates nothing per field.
 */
export class CsvTokenizer {
  /** The current field's bytes are [start, end): without its quotes, doubled quotes still doubled. */
  start = 0;
  end = 0;
  quoted = false;
  /** The field holds a doubled quote. */
  escaped = false;
  /** DELIMITER_FOLLOWS, ROW_END or INPUT_END. */
  term = DELIMITER_FOLLOWS;
  newlinesLf = 0;
  newlinesCrLf = 0;
  newlinesCr = 0;
  /** Where the scanner is, for error details: 0 = header, then 1-based data rows; 0-based column. */
  row = 0;
  column = 0;
  /** Header names, once read, so errors name the column. */
  names: readonly string[] = [];
  private readonly n: number;
  private readonly delimiter: number;

  constructor(
    readonly bytes: Uint8Array,
    delimiter: string,
    private readonly maxField: number,
  ) {
    this.n = bytes.length;
    this.delimiter = delimiter.charCodeAt(0);
  }

  where(): { row: number; column: string; columnNumber: number } {
    return {
      row: this.row,
      column: this.names[this.column] ?? `#${this.column + 1}`,
      columnNumber: this.column + 1,
    };
  }

  next(p: number): number {
    return p < this.n && this.bytes[p] === QUOTE ? this.quotedField(p) : this.plainField(p);
  }

  /** The current field as text: decoded, doubled quotes undone. */
  text(): string {
    const ascii = this.end - this.start <= 32 ? fastAscii(this.bytes, this.start, this.end) : null;
    let text = ascii ?? decodeUtf8(this.bytes.subarray(this.start, this.end), this.where());
    if (this.escaped) text = text.replaceAll('""', '"');
    return text;
  }

  private quotedField(p: number): number {
    const bytes = this.bytes;
    this.quoted = true;
    this.escaped = false;
    let q = p + 1;
    for (;;) {
      const close = bytes.indexOf(QUOTE, q);
      if (close < 0) {
        if (this.n - p > this.maxField) throw this.fieldTooLarge();
        throw synthError("CORRUPT_FILE", "a quoted field is never closed", this.where());
      }
      if (bytes[close + 1] === QUOTE) {
        this.escaped = true;
        q = close + 2;
        continue;
      }
      this.start = p + 1;
      this.end = close;
      q = close + 1;
      break;
    }
    if (this.end - this.start > this.maxField) throw this.fieldTooLarge();
    return this.terminator(q);
  }

  private plainField(p: number): number {
    const bytes = this.bytes;
    const n = this.n;
    const delimiter = this.delimiter;
    this.quoted = false;
    this.escaped = false;
    let q = p;
    while (q < n) {
      const b = bytes[q];
      if (b === delimiter || b === LF || b === CR) break;
      q++;
    }
    this.start = p;
    this.end = q;
    if (q - p > this.maxField) throw this.fieldTooLarge();
    return this.terminator(q);
  }

  /** Reads what ends the field at q (delimiter, newline or end of input); returns where the next field starts. */
  private terminator(q: number): number {
    if (q >= this.n) {
      this.term = INPUT_END;
      return q;
    }
    const b = this.bytes[q];
    if (b === this.delimiter) {
      this.term = DELIMITER_FOLLOWS;
      return q + 1;
    }
    if (b === LF) {
      this.newlinesLf++;
      this.term = ROW_END;
      return q + 1;
    }
    if (b === CR) {
      this.term = ROW_END;
      if (this.bytes[q + 1] === LF) {
        this.newlinesCrLf++;
        return q + 2;
      }
      this.newlinesCr++;
      return q + 1;
    }
    // Only a quoted field can end on anything else.
    throw synthError(
      "CORRUPT_FILE",
      "unexpected text after a closing quote (a quote inside a quoted field must be doubled)",
      this.where(),
    );
  }

  private fieldTooLarge() {
    return synthError("FIELD_TOO_LARGE", `a field is larger than ${this.maxField} bytes`, {
      ...this.where(),
      maxFieldBytes: this.maxField,
    });
  }
}
