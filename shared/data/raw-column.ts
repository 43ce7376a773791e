import type { Cell } from "./table.ts";
import type { PiiKind } from "./metadata.ts";
import { DATETIME_CANDIDATES, compileFormat, mayBeDatetime } from "./datetime-format.ts";
import { isMissingToken, MISSING_TOKENS, tokenIsMissing, type MissingTokenCount } from "./missing.ts";
import { parseNumberText } from "./number-text.ts";
import { detectPii, PII_SAMPLE } from "./pii.ts";

const BOOLEAN_TOKENS: ReadonlyMap<string, boolean> = new Map([
  ["true", true],
  ["false", false],
  ["True", true],
  ["False", false],
  ["TRUE", true],
  ["FALSE", false],
]);

export function booleanToken(text: string): boolean | undefined {
  return BOOLEAN_TOKENS.get(text);
}

const EXAMPLES = 3;
const INTERN_LIMIT = 50_000;

/**
 * One column as read, before its type is decided: cells as the reader saw them (numbers already parsed, strings
 * interned) plus the statistics inference needs. Classification work (date formats, personal data, lengths) is
 * done once per distinct string, not per cell, which is what keeps inference cheap on long files.
 */
export class RawColumn {
  readonly name: string;
  private len = 0;
  /**
   * Cells, filled in place. While a column has held only numbers, missing cells are holes or NaN (never a
   * value: only finite numbers are stored) and numbers are written from one store site, so V8 keeps the array unboxed
   * (8 bytes a cell rather than 24); the first other value switches the column to a generic array.
   */
  private cells: Cell[] = [];
  private generic = false;
  /** Number-only so far and not all small integers: the array holds unboxed doubles. */
  private doubles = false;
  private built = false;
  /** Rows expected (reserve()); storage is allocated at the first value, in the shape that value calls for. */
  private hint = 0;
  private allocated = false;
  missing = 0;
  numbers = 0;
  integers = 0;
  strings = 0;
  booleans = 0;
  dates = 0;
  /** Every number either came typed or String(value) reproduces its text. */
  numbersCanonical = true;
  maxDecimals = 0;
  minNumber = Infinity;
  maxNumber = -Infinity;
  /** Up to 3 distinct numbers: enough to tell a 0/1 flag (categorical) from a quantity. */
  readonly fewNumbers: number[] = [];
  /** Interned distinct strings (also the distinct count). */
  readonly distinctStrings = new Map<string, string>();
  /**
   * Set once more than INTERN_LIMIT distinct strings make up most of the column (ids, free text): interning
   * them saves nothing and the Map costs more than the strings.
   */
  highCardinality = false;
  private uninterned = 0;
  /** Indices into DATETIME_CANDIDATES still consistent with every string so far; null before the first. */
  dateCandidates: number[] | null = null;
  stringsAllBoolean = true;
  distinctWithSpace = 0;
  maxStringLength = 0;
  totalDistinctLength = 0;
  readonly piiHits = new Map<PiiKind, number>();
  piiChecked = 0;
  firstNumberRow = -1;
  readonly stringExamples: { row: number; text: string }[] = [];
  /** The original text of numbers whose String() differs, when the reader cannot re-read it (keepText). */
  readonly numberText: Map<number, string> | null;
  /**
   * Rows of each missing token (exact text) while reading: they are held as missing until
   * resolveMissingTokens decides, per column, which tokens are missing and which are values to put back.
   */
  private tokenRows = new Map<string, RowList>();
  private tokensResolved = false;
  /** Cells read as missing per token (or declared missing value), once resolved. */
  readonly missingTokens = new Map<string, number>();
  /** Tokens seen that were kept as values, once resolved. */
  readonly keptTokens: string[] = [];

  constructor(name: string, options: { keepText?: boolean } = {}) {
    this.name = name;
    this.numberText = options.keepText ? new Map() : null;
  }

  get length(): number {
    return this.built ? this.cells.length : this.len;
  }

  get nonMissing(): number {
    return this.length - this.missing;
  }

  /** The cells as one array (numbers as numbers, missing as null); reading the column ends its growth. */
  get values(): Cell[] {
    return this.finish();
  }

  /**
   * Pre-sizes the cell array for about n rows: a pre-sized array filled by index leaves no growth garbage and no
   * spare capacity, which on a 100 MB file decides whether the memory target is met.
   */
  reserve(n: number): void {
    if (this.len === 0 && !this.allocated) this.hint = n;
  }

  /**
   * Allocates reserved storage once the first value shows what the column holds: a column that starts with a
   * fraction gets a double array straight away, since turning a 1.5-million-slot integer array into a double
   * array later copies it and leaves the old one as garbage.
   */
  private allocate(fraction: boolean): void {
    this.allocated = true;
    if (fraction) this.doubles = true;
    if (this.hint <= this.len) return;
    this.cells = fraction ? doubleArrayOfLength(this.hint) : new Array<Cell>(this.hint);
    // Slot 0 holds the seed value of the double array; if row 0 was missing it must read as missing.
    if (fraction && this.len > 0) storeDouble(this.cells, 0, NaN);
  }

  /** The final cell array: trimmed, missing as null. */
  finish(): Cell[] {
    if (this.built) return this.cells;
    this.built = true;
    if (!this.allocated && this.len > 0) {
      // Every cell missing: nothing was stored.
      this.cells = new Array<Cell>(this.len).fill(null);
      this.generic = true;
    }
    const cells = this.cells;
    if (cells.length !== this.len) cells.length = this.len;
    if (!this.generic && this.missing > 0) nanToNull(cells);
    return cells;
  }

  private toGeneric(): void {
    this.generic = true;
    if (this.missing > 0) nanToNull(this.cells, this.len);
  }

  pushNull(): void {
    if (!this.allocated && this.len < this.hint)
      this.len++; // a hole in storage not yet allocated
    else if (this.generic) storeGeneric(this.cells, this.len++, null);
    else if (this.len < this.cells.length)
      this.len++; // leave the reserved hole: no write, no transition
    else {
      // Past reserved storage a missing number is NaN, which only a double array holds.
      this.doubles = true;
      storeDouble(this.cells, this.len++, NaN);
    }
    this.missing++;
  }

  pushNumber(value: number, decimals: number, canonical: boolean, text?: string): void {
    if (this.firstNumberRow < 0) this.firstNumberRow = this.len;
    if (!canonical) {
      this.numbersCanonical = false;
      if (this.numberText !== null && text !== undefined) this.numberText.set(this.len, text);
    }
    const small = isSmallInt(value);
    if (!this.allocated) this.allocate(!small);
    if (this.generic) storeGeneric(this.cells, this.len++, value);
    else if (this.doubles) storeDouble(this.cells, this.len++, value);
    else if (small) storeSmallInt(this.cells, this.len++, value);
    else {
      this.doubles = true; // the integer array becomes a double array, once
      storeDouble(this.cells, this.len++, value);
    }
    this.numbers++;
    if (Number.isInteger(value)) this.integers++;
    if (decimals > this.maxDecimals) this.maxDecimals = decimals;
    if (value < this.minNumber) this.minNumber = value;
    if (value > this.maxNumber) this.maxNumber = value;
    const few = this.fewNumbers;
    if (few.length < 3 && few[0] !== value && few[1] !== value) few.push(value);
  }

  /** A string already known not to be missing nor a number; returns the interned copy. */
  pushString(text: string): string {
    if (this.highCardinality) {
      // Past the interning limit each string is its own: no Map, only the checks that must see every value.
      this.uninterned++;
      if (text.length > this.maxStringLength) this.maxStringLength = text.length;
      this.totalDistinctLength += text.length;
      if (/\s/.test(text)) this.distinctWithSpace++;
      this.classifyDate(text);
      this.pushInterned(text);
      return text;
    }
    let s = this.distinctStrings.get(text);
    if (s === undefined) {
      s = text;
      this.distinctStrings.set(text, text);
      this.classifyDistinct(text);
      const size = this.distinctStrings.size;
      if (size >= INTERN_LIMIT && size > 0.5 * (this.strings + 1)) this.highCardinality = true;
    }
    this.pushInterned(s);
    return s;
  }

  /** Distinct strings: exact while interning, an upper bound once the column is high-cardinality. */
  get distinctCount(): number {
    return this.distinctStrings.size + this.uninterned;
  }

  /** Whether every string is different (exact, also past the interning limit). */
  stringsUnique(): boolean {
    if (!this.highCardinality) return this.distinctStrings.size === this.strings;
    const seen = new Set<string>();
    for (const v of this.finish()) {
      if (typeof v !== "string") continue;
      if (seen.has(v)) return false;
      seen.add(v);
    }
    return true;
  }

  /** A string this column has already interned (returned by pushString). */
  pushInterned(s: string): void {
    if (this.stringExamples.length < EXAMPLES && !this.stringExamples.some((e) => e.text === s)) {
      this.stringExamples.push({ row: this.len, text: s });
    }
    this.pushOther(s);
    this.strings++;
  }

  private pushOther(v: Cell): void {
    if (!this.allocated) this.allocate(false);
    if (!this.generic) this.toGeneric();
    storeGeneric(this.cells, this.len++, v);
  }

  /**
   * Text as found in a file: blank text is missing, a missing token is held as missing (see
   * resolveMissingTokens), plain decimal numbers become numbers.
   */
  pushText(text: string): void {
    if (isMissingToken(text)) {
      if (text.trim() === "") this.pushNull();
      else this.pushMissingToken(text);
      return;
    }
    const c = text.charCodeAt(0);
    if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 32) {
      const n = parseNumberText(text);
      if (n !== null) {
        this.pushNumber(n.value, n.decimals, n.canonical, text);
        return;
      }
    }
    this.pushString(text);
  }

  /** A cell whose text is a missing token: missing for now, its row remembered in case the token is a value. */
  pushMissingToken(text: string): void {
    let rows = this.tokenRows.get(text);
    if (rows === undefined) {
      rows = new RowList();
      this.tokenRows.set(text, rows);
    }
    rows.push(this.len);
    this.pushNull();
  }

  /**
   * Decides which tokens of this column are missing, once it is read. With `declared` (the column metadata's
   * missingValues) exactly those texts are missing, tokens or not, and every other token is a value. Otherwise
   * the rule of tokenIsMissing (missing.ts). Tokens that are values are put back into their cells as strings,
   * with the column's statistics updated as if they had been read as text.
   */
  resolveMissingTokens(declared?: readonly string[]): void {
    if (this.tokensResolved) return;
    this.tokensResolved = true;
    const tokens = this.tokenRows;
    this.tokenRows = new Map();
    const cells = this.finish();
    let tokenCells = 0;
    for (const rows of tokens.values()) tokenCells += rows.length;
    const nonBlank = this.nonMissing + tokenCells;
    // The column's other values, before any token is put back: strings only if they are all booleans or dates.
    const typed =
      this.strings === 0 ||
      this.stringsAllBoolean ||
      (this.dateCandidates !== null && this.dateCandidates.length > 0);
    const declaredSet = declared === undefined ? null : new Set(declared.map((d) => d.trim()));
    for (const [token, rows] of tokens) {
      const missing =
        declaredSet !== null ? declaredSet.has(token.trim()) : tokenIsMissing(rows.length, nonBlank, typed);
      if (missing) this.missingTokens.set(token, rows.length);
      else this.restoreToken(cells, token, rows);
    }
    if (declaredSet !== null) {
      for (const d of declaredSet) if (!MISSING_TOKENS.has(d)) this.nullDeclared(cells, d);
    }
  }

  /** Tokens read as missing, most frequent first. */
  missingTokenCounts(): MissingTokenCount[] {
    return [...this.missingTokens]
      .map(([token, count]) => ({ token, count }))
      .sort((a, b) => b.count - a.count || (a.token < b.token ? -1 : 1));
  }

  private restoreToken(cells: Cell[], token: string, rows: RowList): void {
    this.keptTokens.push(token);
    this.generic = true;
    const list = rows.view();
    for (let k = 0; k < list.length; k++) cells[list[k]] = token;
    this.missing -= list.length;
    this.strings += list.length;
    if (this.highCardinality) {
      this.uninterned++;
      if (token.length > this.maxStringLength) this.maxStringLength = token.length;
      this.totalDistinctLength += token.length;
      this.classifyDate(token);
    } else if (!this.distinctStrings.has(token)) {
      this.distinctStrings.set(token, token);
      this.classifyDistinct(token);
    }
    if (this.stringExamples.length < EXAMPLES) this.stringExamples.push({ row: list[0], text: token });
  }

  /**
   * A declared missing value that is not a token ("?", "-999"): cells with that text, or that number, become
   * missing. Only the counts are kept up to date: a column with declared metadata is not inferred.
   */
  private nullDeclared(cells: Cell[], text: string): void {
    const number = parseNumberText(text)?.value;
    let count = 0;
    for (let i = 0; i < cells.length; i++) {
      const v = cells[i];
      if (v === text) this.strings--;
      else if (number !== undefined && v === number) this.numbers--;
      else continue;
      this.generic = true;
      cells[i] = null;
      count++;
    }
    if (count === 0) return;
    this.missing += count;
    this.missingTokens.set(text, (this.missingTokens.get(text) ?? 0) + count);
  }

  pushBoolean(value: boolean): void {
    this.pushOther(value);
    this.booleans++;
  }

  pushDate(value: Date): void {
    if (Number.isNaN(value.getTime())) {
      this.pushNull();
      return;
    }
    this.pushOther(value);
    this.dates++;
  }

  /** Any cell: strings go through pushText, so typed and textual sources infer alike. */
  pushCell(cell: Cell | undefined): void {
    if (cell === null || cell === undefined) this.pushNull();
    else if (typeof cell === "string") this.pushText(cell);
    else if (typeof cell === "number") {
      if (Number.isFinite(cell)) this.pushNumber(cell, decimalsOfTyped(cell), true);
      else this.pushNull();
    } else if (typeof cell === "boolean") this.pushBoolean(cell);
    else this.pushDate(cell);
  }

  /** The exact text of a stored number, when known (otherwise String(value) is the best there is). */
  textOfNumber(row: number, value: number): string {
    return this.numberText?.get(row) ?? String(value);
  }

  private classifyDistinct(text: string): void {
    if (text.length > this.maxStringLength) this.maxStringLength = text.length;
    this.totalDistinctLength += text.length;
    if (/\s/.test(text)) this.distinctWithSpace++;
    if (this.stringsAllBoolean && !BOOLEAN_TOKENS.has(text)) this.stringsAllBoolean = false;
    this.classifyDate(text);
    if (this.piiChecked < PII_SAMPLE) {
      this.piiChecked++;
      const kind = detectPii(text);
      if (kind !== undefined) this.piiHits.set(kind, (this.piiHits.get(kind) ?? 0) + 1);
    }
  }

  classifyDate(text: string): void {
    if (this.dateCandidates !== null && this.dateCandidates.length === 0) return;
    if (!mayBeDatetime(text)) {
      this.dateCandidates = [];
      return;
    }
    const alive = this.dateCandidates ?? DATETIME_CANDIDATES.map((_, i) => i);
    this.dateCandidates = alive.filter((i) => compileFormat(DATETIME_CANDIDATES[i]).parse(text) !== null);
  }
}

/** A growing list of row numbers, 4 bytes each. */
class RowList {
  private rows = new Int32Array(16);
  length = 0;

  push(row: number): void {
    if (this.length === this.rows.length) {
      const grown = new Int32Array(this.rows.length * 2);
      grown.set(this.rows);
      this.rows = grown;
    }
    this.rows[this.length++] = row;
  }

  view(): Int32Array {
    return this.rows.subarray(0, this.length);
  }
}

function decimalsOfTyped(value: number): number {
  if (Number.isInteger(value)) return 0;
  const s = String(value);
  const dot = s.indexOf(".");
  if (s.includes("e")) return 0;
  return dot < 0 ? 0 : s.length - dot - 1;
}

// Separate functions give separate store sites, each seeing one kind of array: V8 generalises a site's arrays
// to the most general kind it has seen there, so a shared site would turn integer arrays into double arrays
// (a copy each) and double arrays into boxed ones (24 bytes a cell) on the strength of other columns.
function storeSmallInt(cells: Cell[], i: number, v: number): void {
  cells[i] = v;
}

function storeDouble(cells: Cell[], i: number, v: number): void {
  cells[i] = v;
}

/** A number V8 stores inline in an integer array (a 32-bit integer, not -0). */
function isSmallInt(v: number): boolean {
  return (v | 0) === v && (v !== 0 || 1 / v > 0);
}

/** An array of length n with unboxed double storage from the start (no integer-array stage to copy). */
function doubleArrayOfLength(n: number): Cell[] {
  const cells: Cell[] = [0.5];
  cells.length = n;
  return cells;
}

function storeGeneric(cells: Cell[], i: number, v: Cell): void {
  cells[i] = v;
}

/** Missing cells of a number-only column (NaN, or a reserved hole never written) become null. */
function nanToNull(cells: Cell[], n = cells.length): void {
  for (let i = 0; i < n; i++) {
    const v = cells[i];
    if (v === undefined || (typeof v === "number" && v !== v)) cells[i] = null;
  }
}
