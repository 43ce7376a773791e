import { synthError } from "../errors.ts";
import type { DataLimits } from "./limits.ts";
import { RawColumn } from "./raw-column.ts";
import { ByteInterner } from "./byte-intern.ts";
import { chooseDelimiter, type Delimiter } from "./csv-delimiter.ts";
import { pushField } from "./csv-field.ts";
import { CR, CsvTokenizer, DELIMITER_FOLLOWS, LF } from "./csv-tokenizer.ts";
import type { DataWarning } from "./warnings.ts";
import { checkColumnNames } from "./validate.ts";

export { DELIMITERS, detectDelimiter, type Delimiter } from "./csv-delimiter.ts";

export interface CsvReadResult {
  columns: RawColumn[];
  delimiter: Delimiter;
  warnings: DataWarning[];
  /** Original text of the given columns, re-read from the bytes (for numbers that must become strings). */
  recoverText(columnIndexes: readonly number[]): Map<number, (string | null)[]>;
}

/**
 * RFC 4180 CSV read straight from UTF-8 bytes into typed raw columns: one pass, no intermediate string of the
 * whole file and no per-row arrays, which is what keeps peak memory near the size of the result.
 * Numbers are parsed from the bytes; strings are decoded once and interned per column.
 * The tokenizer (csv-tokenizer.ts) cuts fields, pushField (csv-field.ts) turns each into a cell; this file walks
 * the header and the rows.
 */
export function readCsv(bytes: Uint8Array, limits: DataLimits, delimiterHint?: Delimiter): CsvReadResult {
  const { delimiter, start } = chooseDelimiter(bytes, delimiterHint);
  const tokens = new CsvTokenizer(bytes, delimiter, limits.maxFieldBytes);
  const pos = readHeader(tokens, start, limits);
  const names = tokens.names;
  checkColumnNames(names);
  const columns = names.map((name) => new RawColumn(name));
  const expectedRows = Math.min(countLines(bytes, pos), limits.maxRows);
  for (const c of columns) c.reserve(expectedRows);
  // Semicolon files come from locales that write decimals with a comma ("2,5"); elsewhere a comma is text.
  const decimalComma = delimiter === ";" ? 0x2c : -1;
  const rowStarts = readRows(tokens, pos, columns, decimalComma, limits.maxRows, expectedRows);
  const warnings = newlineWarnings(tokens);
  for (const c of columns) c.finish();
  return {
    columns,
    delimiter,
    warnings,
    recoverText: (columnIndexes) => recoverText(tokens, rowStarts, names.length, columnIndexes),
  };
}

/** Reads the header line into tokens.names; returns where the first data row starts. */
function readHeader(tokens: CsvTokenizer, start: number, limits: DataLimits): number {
  const n = tokens.bytes.length;
  if (start >= n) throw synthError("EMPTY_FILE", "the file is empty");
  const names: string[] = [];
  tokens.names = names;
  let pos = start;
  for (;;) {
    tokens.column = names.length;
    pos = tokens.next(pos);
    names.push(tokens.text().trim());
    if (names.length > limits.maxColumns) {
      throw synthError("TOO_MANY_COLUMNS", `the table has more than ${limits.maxColumns} columns`, {
        maxColumns: limits.maxColumns,
      });
    }
    if (tokens.term !== DELIMITER_FOLLOWS) break;
  }
  if (names.length === 1 && names[0] === "" && pos >= n) throw synthError("EMPTY_FILE", "the file is empty");
  return pos;
}

/**
 * Reads every data row from pos into the columns; returns each row's starting offset (for re-reading text and
 * locating errors: 4 bytes a row below 4 GiB). Refuses ragged rows, after reading them all so the error can say
 * how many there are.
 */
function readRows(
  tokens: CsvTokenizer,
  pos: number,
  columns: RawColumn[],
  decimalComma: number,
  maxRows: number,
  expectedRows: number,
): Uint32Array | Float64Array {
  const bytes = tokens.bytes;
  const n = bytes.length;
  const width = columns.length;
  const interners = columns.map(() => new ByteInterner());
  const Offsets = n < 2 ** 32 ? Uint32Array : Float64Array;
  let rowStarts: Uint32Array | Float64Array = new Offsets(Math.max(1024, expectedRows));
  let rows = 0;
  const ragged: number[] = [];
  let raggedCount = 0;
  let raggedWidth = 0;
  while (pos < n) {
    const rowStart = pos;
    // A blank line is not a row (pandas' skip_blank_lines); it does not count as ragged.
    if (bytes[pos] === LF || bytes[pos] === CR) {
      pos += bytes[pos] === CR && bytes[pos + 1] === LF ? 2 : 1;
      continue;
    }
    tokens.row = rows + 1;
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
      tokens.column = j;
      pos = tokens.next(pos);
      if (j < width) pushField(tokens, decimalComma, columns[j], interners[j]);
      j++;
      if (tokens.term !== DELIMITER_FOLLOWS) break;
    }
    if (j !== width) {
      raggedCount++;
      if (ragged.length < 20) ragged.push(tokens.row);
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
  return rowStarts.subarray(0, rows);
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

function newlineWarnings(tokens: CsvTokenizer): DataWarning[] {
  const { newlinesLf: lf, newlinesCrLf: crlf, newlinesCr: cr } = tokens;
  if ([lf, crlf, cr].filter((c) => c > 0).length <= 1) return [];
  return [
    {
      code: "MIXED_NEWLINES",
      message: `the file mixes line endings (LF: ${lf}, CRLF: ${crlf}, CR: ${cr}); all were read as row ends`,
    },
  ];
}

/** Re-reads the text of the given columns from the rows' offsets. */
function recoverText(
  tokens: CsvTokenizer,
  rowStarts: Uint32Array | Float64Array,
  width: number,
  columnIndexes: readonly number[],
): Map<number, (string | null)[]> {
  const rows = rowStarts.length;
  const out = new Map<number, (string | null)[]>();
  const wanted = new Int32Array(width).fill(-1);
  const arrays: (string | null)[][] = [];
  columnIndexes.forEach((j, k) => {
    wanted[j] = k;
    arrays.push(new Array<string | null>(rows));
    out.set(j, arrays[k]);
  });
  for (let r = 0; r < rows; r++) {
    let p = rowStarts[r];
    tokens.row = r + 1;
    for (let j = 0; ; j++) {
      tokens.column = j;
      p = tokens.next(p);
      if (j < width && wanted[j] >= 0)
        arrays[wanted[j]][r] = tokens.start === tokens.end ? null : tokens.text();
      if (tokens.term !== DELIMITER_FOLLOWS) break;
    }
  }
  return out;
}
