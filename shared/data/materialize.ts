import type { ColumnMetadata, TableMetadata } from "./metadata.ts";
import { compileFormat, DATETIME_CANDIDATES, formatDate } from "./datetime-format.ts";
import { parseNumberText } from "./number-text.ts";
import { booleanToken, type RawColumn } from "./raw-column.ts";
import type { Cell, Table } from "./table.ts";
import type { DataWarning } from "./warnings.ts";

const LOOSE_BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ["yes", true],
  ["no", false],
  ["y", true],
  ["n", false],
  ["t", true],
  ["f", false],
  ["1", true],
  ["0", false],
  ["true", true],
  ["false", false],
]);

/** Text of stored numbers, re-read from the source where String(value) would not give it back. */
export type TextRecovery = (columnIndexes: readonly number[]) => Map<number, (string | null)[]>;

/** Whether turning this raw column into the metadata's type needs the original text of its numbers. */
function needsText(col: RawColumn, meta: ColumnMetadata): boolean {
  if (col.numbers === 0 || col.numbersCanonical || col.numberText !== null) return false;
  return (
    meta.sdtype === "categorical" ||
    meta.sdtype === "text" ||
    meta.sdtype === "datetime" ||
    meta.sdtype === "boolean"
  );
}

function dateToText(d: Date): string {
  const iso = d.toISOString();
  return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso;
}

/**
 * Typed cells per the final metadata, converted in place (the raw arrays become the table, so a large file is
 * not held twice): numerical -> number, categorical/text -> string, boolean -> boolean, datetime -> Date,
 * id -> string or number. Values that cannot take the declared type become null and are reported.
 */
export function materialize(
  columns: readonly RawColumn[],
  metadata: TableMetadata,
  recover?: TextRecovery,
): { table: Table; warnings: DataWarning[] } {
  const warnings: DataWarning[] = [];
  const byName = new Map(metadata.columns.map((c) => [c.name, c]));
  const textNeeded = columns.flatMap((c, j) => (needsText(c, byName.get(c.name)!) ? [j] : []));
  const texts = recover && textNeeded.length > 0 ? recover(textNeeded) : new Map<number, (string | null)[]>();
  const data = columns.map((col, j) => convertColumn(col, byName.get(col.name)!, texts.get(j), warnings));
  return { table: { columns: columns.map((c) => c.name), data }, warnings };
}

function convertColumn(
  col: RawColumn,
  meta: ColumnMetadata,
  texts: (string | null)[] | undefined,
  warnings: DataWarning[],
): Cell[] {
  const values = col.finish();
  const n = values.length;
  const bad: { row: number; text: string }[] = [];
  let badCount = 0;
  const fail = (i: number, v: Cell): null => {
    badCount++;
    if (bad.length < 3) bad.push({ row: i + 1, text: v instanceof Date ? dateToText(v) : String(v) });
    return null;
  };
  const textOf = (i: number, v: number): string => texts?.[i] ?? col.textOfNumber(i, v);

  switch (meta.sdtype) {
    case "numerical": {
      if (col.strings === 0 && col.booleans === 0 && col.dates === 0) break;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || typeof v === "number") continue;
        if (typeof v === "boolean") values[i] = v ? 1 : 0;
        else if (typeof v === "string") values[i] = parseNumberText(v)?.value ?? fail(i, v);
        else values[i] = fail(i, v);
      }
      break;
    }
    case "categorical":
    case "text": {
      if (col.numbers === 0 && col.booleans === 0 && col.dates === 0) break;
      const intern = new Map<string, string>();
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || typeof v === "string") continue;
        let s = typeof v === "number" ? textOf(i, v) : typeof v === "boolean" ? String(v) : dateToText(v);
        const hit = intern.get(s);
        if (hit === undefined) intern.set(s, s);
        else s = hit;
        values[i] = s;
      }
      break;
    }
    case "boolean": {
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || typeof v === "boolean") continue;
        if (typeof v === "string")
          values[i] = booleanToken(v) ?? LOOSE_BOOLEANS.get(v.trim().toLowerCase()) ?? fail(i, v);
        else if (typeof v === "number") values[i] = v === 1 ? true : v === 0 ? false : fail(i, v);
        else values[i] = fail(i, v);
      }
      break;
    }
    case "datetime": {
      const formats = meta.datetimeFormat ? [meta.datetimeFormat] : DATETIME_CANDIDATES;
      const parsers = formats.map((f) => compileFormat(f));
      // Few distinct texts (days): parse each once and share the Date. Many (timestamps): a cache would only
      // add a Map entry per row.
      const cache = col.highCardinality ? null : new Map<string, Date | null>();
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || v instanceof Date) continue;
        const s = typeof v === "number" ? textOf(i, v) : String(v);
        let d = cache?.get(s);
        if (d === undefined) {
          d = null;
          for (const p of parsers) {
            d = p.parse(s);
            if (d !== null) break;
          }
          cache?.set(s, d);
        }
        // Equal texts share one Date: a Date costs ~100 bytes, and a million-row column of a few thousand
        // distinct days would otherwise spend more on dates than the file weighs. Cells are never mutated.
        values[i] = d === null ? fail(i, v) : d;
      }
      break;
    }
    case "id": {
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || typeof v === "string" || typeof v === "number") continue;
        values[i] = typeof v === "boolean" ? String(v) : dateToText(v);
      }
      break;
    }
  }
  if (badCount > 0) {
    warnings.push({
      code: "VALUES_COERCED_TO_NULL",
      column: meta.name,
      message: `${badCount} value(s) of column ${JSON.stringify(meta.name)} are not ${meta.sdtype} and were read as missing`,
      rows: bad.map((b) => b.row),
      examples: bad.map((b) => b.text),
    });
  }
  return values;
}

/** A cell written as text in the table's own conventions (dates in the column's format). */
export function cellToText(cell: Cell, meta?: ColumnMetadata): string {
  if (cell === null) return "";
  if (cell instanceof Date)
    return meta?.datetimeFormat ? formatDate(cell, meta.datetimeFormat) : dateToText(cell);
  return String(cell);
}
