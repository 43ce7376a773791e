import { synthError } from "../errors.ts";
import { decodeUtf8 } from "./encoding.ts";
import type { DataLimits } from "./limits.ts";
import { RawColumn } from "./raw-column.ts";
import type { DataWarning } from "./warnings.ts";
import { checkColumnNames } from "./validate.ts";

export interface JsonReadResult {
  columns: RawColumn[];
  warnings: DataWarning[];
}

function lineAndColumn(bytes: Uint8Array, offset: number): { line: number; position: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      last = i;
    }
  }
  return { line, position: offset - last };
}

/**
 * Refuses nesting deeper than the limit before JSON.parse sees the text: a flat record array is depth 2, and a
 * megabyte of "[" must cost a scan, not a parser's stack.
 */
export function checkJsonDepth(bytes: Uint8Array, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > maxDepth) {
        throw synthError("NESTING_TOO_DEEP", `the JSON is nested deeper than ${maxDepth} levels`, {
          maxNestingDepth: maxDepth,
          ...lineAndColumn(bytes, i),
        });
      }
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
}

/** Offset of a bare NaN / Infinity outside strings (valid JavaScript, invalid JSON), or -1. */
function findNonFinite(text: string): number {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x4e && text.startsWith("NaN", i)) return i;
    else if (c === 0x49 && text.startsWith("Infinity", i)) return i;
  }
  return -1;
}

function parseJson(text: string, lineOffset = 0): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    const at = findNonFinite(text);
    if (at >= 0) {
      const loc = lineAndColumn(new TextEncoder().encode(text.slice(0, at)), at);
      throw synthError(
        "INVALID_NUMBER",
        "the JSON contains NaN or Infinity, which JSON does not allow; write null for a missing number",
        { line: loc.line + lineOffset },
        cause,
      );
    }
    const message = cause instanceof Error ? cause.message : String(cause);
    throw synthError(
      "CORRUPT_FILE",
      `the JSON is not valid: ${message}`,
      lineOffset ? { line: lineOffset + 1 } : {},
      cause,
    );
  }
}

class RecordSink {
  readonly columns: RawColumn[] = [];
  private readonly index = new Map<string, RawColumn>();
  readonly warnings: DataWarning[] = [];
  private readonly stringified = new Map<string, number>();
  rows = 0;

  constructor(private readonly limits: DataLimits) {}

  add(record: unknown, rowForError: number): void {
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      throw synthError("UNSUPPORTED_FORMAT", "each JSON record must be an object of column values", {
        row: rowForError,
      });
    }
    if (this.rows >= this.limits.maxRows) {
      throw synthError("TOO_MANY_ROWS", `the table has more than ${this.limits.maxRows} rows`, {
        maxRows: this.limits.maxRows,
      });
    }
    const row = this.rows++;
    for (const [key, value] of Object.entries(record)) {
      let col = this.index.get(key);
      if (col === undefined) {
        if (this.columns.length >= this.limits.maxColumns) {
          throw synthError("TOO_MANY_COLUMNS", `the table has more than ${this.limits.maxColumns} columns`, {
            maxColumns: this.limits.maxColumns,
          });
        }
        col = new RawColumn(key, { keepText: true });
        for (let i = 0; i < row; i++) col.pushNull();
        this.index.set(key, col);
        this.columns.push(col);
      }
      if (col.length > row) {
        // Only possible through a duplicated key, which Object.entries never yields; kept as a guard.
        continue;
      }
      this.push(col, value, row);
    }
    for (const col of this.columns) if (col.length <= row) col.pushNull();
  }

  private push(col: RawColumn, value: unknown, row: number): void {
    if (value === null || value === undefined) col.pushNull();
    else if (typeof value === "string") {
      if (value.length > this.limits.maxFieldBytes) {
        throw synthError("FIELD_TOO_LARGE", `a field is larger than ${this.limits.maxFieldBytes} bytes`, {
          row: row + 1,
          column: col.name,
        });
      }
      col.pushText(value);
    } else if (typeof value === "number") col.pushNumber(value, decimalsOf(value), true);
    else if (typeof value === "boolean") col.pushBoolean(value);
    else {
      this.stringified.set(col.name, (this.stringified.get(col.name) ?? 0) + 1);
      col.pushString(JSON.stringify(value));
    }
  }

  finish(): JsonReadResult {
    if (this.rows === 0) throw synthError("EMPTY_FILE", "the JSON holds no records");
    if (this.columns.length === 0) throw synthError("HEADER_ONLY", "the JSON records have no fields");
    checkColumnNames(this.columns.map((c) => c.name));
    for (const [column, count] of this.stringified) {
      this.warnings.push({
        code: "NESTED_VALUE_STRINGIFIED",
        column,
        message: `${count} nested value(s) of column ${JSON.stringify(column)} were kept as JSON text`,
      });
    }
    return { columns: this.columns, warnings: this.warnings };
  }
}

function decimalsOf(value: number): number {
  if (Number.isInteger(value)) return 0;
  const s = String(value);
  if (s.includes("e")) return 0;
  return s.length - s.indexOf(".") - 1;
}

/**
 * A JSON document: an array of records, an array of arrays whose first row names the columns, or an object with
 * one array of records inside (e.g. {"data": [...]}).
 */
export function readJson(bytes: Uint8Array, limits: DataLimits): JsonReadResult {
  checkJsonDepth(bytes, limits.maxNestingDepth);
  const text = decodeUtf8(bytes);
  let doc = parseJson(text);
  if (doc !== null && typeof doc === "object" && !Array.isArray(doc)) {
    const arrays = Object.values(doc).filter(Array.isArray);
    if (arrays.length === 1) doc = arrays[0];
  }
  if (!Array.isArray(doc)) {
    throw synthError("UNSUPPORTED_FORMAT", "the JSON must be an array of records (objects)");
  }
  const sink = new RecordSink(limits);
  if (doc.length > 0 && Array.isArray(doc[0])) {
    const header = doc[0] as unknown[];
    const names = header.map((h) => (h === null || h === undefined ? "" : String(h)));
    checkColumnNames(names);
    if (doc.length === 1) throw synthError("HEADER_ONLY", "the JSON has a header row and no data rows");
    for (let i = 1; i < doc.length; i++) {
      const row = doc[i];
      if (!Array.isArray(row) || row.length !== names.length) {
        throw synthError("RAGGED_ROW", `row ${i} does not have ${names.length} values like the header`, {
          row: i,
          expected: names.length,
        });
      }
      sink.add(Object.fromEntries(names.map((n, j) => [n, row[j]])), i);
    }
    return sink.finish();
  }
  doc.forEach((record, i) => sink.add(record, i + 1));
  return sink.finish();
}

/** JSON Lines: one record per line; blank lines are skipped; errors name the line. */
export function readJsonLines(bytes: Uint8Array, limits: DataLimits): JsonReadResult {
  checkJsonDepth(bytes, limits.maxNestingDepth);
  const sink = new RecordSink(limits);
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    line++;
    const slice = bytes.subarray(start, end);
    const text = decodeUtf8(slice, { line }).trim();
    if (text.length > 0) sink.add(parseJson(text, line - 1), line);
    start = end + 1;
  }
  return sink.finish();
}
