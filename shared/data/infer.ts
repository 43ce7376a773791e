import { z } from "zod";
import { validationError } from "../errors.ts";
import type { ColumnMetadata, TableMetadata } from "./metadata.ts";
import { DATETIME_CANDIDATES } from "./datetime-format.ts";
import { PII_MIN_SHARE, piiFromName } from "./pii.ts";
import { RawColumn } from "./raw-column.ts";
import type { Table } from "./table.ts";
import type { DataWarning } from "./warnings.ts";

export const inferOptionsSchema = z.object({
  /**
   * Numeric columns with at most this many distinct values are categorical (0/1 flags): the rule the shared
   * datasets' metadata follows, and what SDV users expect of a flag.
   */
  maxCategoricalNumericDistinct: z.number().int().min(0).max(2).default(2),
  /** A string column with more distinct values than this share of its values, and long or spaced, is text. */
  textDistinctShare: z.number().min(0).max(1).default(0.5),
  /** Fewest non-missing values before a unique column may be called an id. */
  minRowsForId: z.number().int().positive().default(10),
});
export type InferOptions = z.input<typeof inferOptionsSchema>;
type Resolved = z.output<typeof inferOptionsSchema>;

export interface InferResult {
  metadata: TableMetadata;
  warnings: DataWarning[];
}

const ID_NAME = /(?:^|[_\s.-])id$|^id$|[a-z]Id$|ID$|^key$|^uuid$/;

function isUniqueIntegerColumn(col: RawColumn): boolean {
  if (col.missing > 0 || col.integers !== col.numbers || col.numbers !== col.length) return false;
  const values = col.finish() as number[];
  // Keys usually come in order: strictly increasing is unique, no copy needed.
  let increasing = true;
  for (let i = 1; i < values.length && increasing; i++) increasing = values[i] > values[i - 1];
  if (increasing) return true;
  // Otherwise a sorted typed copy: 8 bytes a value, where a Set of a million numbers costs several times more.
  const sorted = Float64Array.from(values).sort();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) return false;
  return true;
}

function datetimeFormatOfDates(col: RawColumn): string {
  let time = false;
  let ms = false;
  for (const v of col.values) {
    if (v instanceof Date) {
      const t = v.getTime();
      if (t % 86_400_000 !== 0) time = true;
      if (t % 1000 !== 0) ms = true;
    }
  }
  return ms ? "%Y-%m-%d %H:%M:%S.%f" : time ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d";
}

function inferColumn(col: RawColumn, opts: Resolved, warnings: DataWarning[]): ColumnMetadata {
  const name = col.name;
  const nonMissing = col.nonMissing;
  if (nonMissing === 0) {
    warnings.push({
      code: "ALL_NULL_COLUMN",
      column: name,
      message: `column ${JSON.stringify(name)} has no values (every cell is missing)`,
    });
    return { name, sdtype: "categorical" };
  }
  const kinds = [col.numbers, col.strings, col.booleans, col.dates].filter((c) => c > 0).length;
  if (kinds > 1) return inferMixed(col, opts, warnings);

  if (col.dates > 0) return { name, sdtype: "datetime", datetimeFormat: datetimeFormatOfDates(col) };
  if (col.booleans > 0) return withConstant({ name, sdtype: "boolean" }, distinctBooleans(col), warnings);

  if (col.numbers > 0) {
    const distinct = col.fewNumbers.length;
    if (distinct <= opts.maxCategoricalNumericDistinct) {
      return withConstant({ name, sdtype: "categorical" }, distinct, warnings);
    }
    if (ID_NAME.test(name) && nonMissing >= opts.minRowsForId && isUniqueIntegerColumn(col)) {
      return { name, sdtype: "id" };
    }
    const integer = col.integers === col.numbers;
    return integer
      ? { name, sdtype: "numerical", computerRepresentation: "Int64" }
      : {
          name,
          sdtype: "numerical",
          computerRepresentation: "Float",
          decimals: Math.min(20, col.maxDecimals),
        };
  }

  // strings only
  const distinct = col.distinctCount;
  if (col.stringsAllBoolean) return withConstant({ name, sdtype: "boolean" }, distinct, warnings);
  if (col.dateCandidates !== null && col.dateCandidates.length > 0) {
    return withConstant(
      { name, sdtype: "datetime", datetimeFormat: DATETIME_CANDIDATES[col.dateCandidates[0]] },
      distinct,
      warnings,
    );
  }
  const pii = piiOf(col);
  // Personal data stays categorical with its kind: SDV knows it by a semantic sdtype (email, phone_number...),
  // which export writes from exactly that pair, and models never learn it verbatim.
  if (pii !== undefined) return withConstant({ name, sdtype: "categorical", pii }, distinct, warnings);
  const base: ColumnMetadata = { name, sdtype: "categorical" };
  const spaced = col.distinctWithSpace / distinct;
  const meanLength = col.totalDistinctLength / distinct;
  const enough = nonMissing >= opts.minRowsForId;
  const keyShaped = spaced === 0 && col.maxStringLength <= 64;
  // Unique per row: a key if it looks like one (short, no spaces), free text otherwise. Uniqueness is checked
  // only where it decides something, since past the interning limit it costs a pass with a Set.
  if (enough && col.missing === 0 && keyShaped && col.stringsUnique()) return { ...base, sdtype: "id" };
  if (
    enough &&
    distinct > opts.textDistinctShare * col.strings &&
    (meanLength > 30 || (spaced > 0.5 && meanLength > 15))
  ) {
    return { ...base, sdtype: "text" };
  }
  if (enough && col.missing === 0 && !keyShaped && col.stringsUnique()) return { ...base, sdtype: "text" };
  return withConstant(base, distinct, warnings);
}

function distinctBooleans(col: RawColumn): number {
  let t = false;
  let f = false;
  for (const v of col.values) {
    if (v === true) t = true;
    else if (v === false) f = true;
  }
  return (t ? 1 : 0) + (f ? 1 : 0);
}

function withConstant(meta: ColumnMetadata, distinct: number, warnings: DataWarning[]): ColumnMetadata {
  if (distinct !== 1) return meta;
  warnings.push({
    code: "CONSTANT_COLUMN",
    column: meta.name,
    message: `column ${JSON.stringify(meta.name)} has a single value; it carries no information`,
  });
  return { ...meta, constant: true };
}

function piiOf(col: RawColumn): ColumnMetadata["pii"] {
  let best: ColumnMetadata["pii"];
  let bestHits = 0;
  for (const [kind, hits] of col.piiHits) {
    if (hits > bestHits) {
      best = kind;
      bestHits = hits;
    }
  }
  if (best !== undefined && bestHits >= PII_MIN_SHARE * col.piiChecked) return best;
  const byName = piiFromName(col.name);
  // A name alone flags only text-like columns: a "name" column of 3 labels is a category, not a person.
  if (byName !== undefined && col.distinctCount >= 10) return byName;
  return undefined;
}

function inferMixed(col: RawColumn, opts: Resolved, warnings: DataWarning[]): ColumnMetadata {
  const name = col.name;
  const parts = [
    col.numbers > 0 ? `${col.numbers} numbers` : "",
    col.strings > 0 ? `${col.strings} strings` : "",
    col.booleans > 0 ? `${col.booleans} booleans` : "",
    col.dates > 0 ? `${col.dates} dates` : "",
  ].filter(Boolean);
  const examples = col.stringExamples.map((e) => e.text);
  const rows = col.stringExamples.map((e) => e.row + 1);
  if (col.firstNumberRow >= 0) {
    rows.unshift(col.firstNumberRow + 1);
    examples.unshift(String(col.values[col.firstNumberRow]));
  }
  warnings.push({
    code: "MIXED_TYPES",
    column: name,
    message: `column ${JSON.stringify(name)} mixes ${parts.join(", ")}; read as categorical text (declare its type in the metadata to override)`,
    rows,
    examples,
  });
  const distinct = col.distinctCount + col.fewNumbers.length;
  const nonMissing = col.nonMissing;
  if (
    distinct > opts.textDistinctShare * nonMissing &&
    col.totalDistinctLength / Math.max(1, col.distinctStrings.size) > 30
  ) {
    return { name, sdtype: "text" };
  }
  return { name, sdtype: "categorical" };
}

/**
 * Says which tokens were read as missing where the column had any, so the decision is visible, editable and
 * carried to the next read of the same column (evaluate reads the synthetic table with the real one's metadata).
 */
function withMissingValues(meta: ColumnMetadata, col: RawColumn): ColumnMetadata {
  if (col.missingTokens.size === 0 && col.keptTokens.length === 0) return meta;
  return { ...meta, missingValues: [...col.missingTokens.keys()].sort() };
}

/** Column metadata from raw columns, with the warnings found on the way; the first id column is the key. */
export function inferFromRawColumns(columns: readonly RawColumn[], options: InferOptions = {}): InferResult {
  for (const c of columns) c.finish();
  const parsed = inferOptionsSchema.safeParse(options);
  if (!parsed.success) throw validationError("invalid inference options", { issues: parsed.error.issues });
  const warnings: DataWarning[] = [];
  for (const c of columns) c.resolveMissingTokens();
  const metas = columns.map((c) => withMissingValues(inferColumn(c, parsed.data, warnings), c));
  const key = metas.find((m) => m.sdtype === "id");
  const metadata: TableMetadata = key ? { columns: metas, primaryKey: key.name } : { columns: metas };
  return { metadata, warnings };
}

/** Raw columns of an in-memory table (cells of any type; strings are read as text is read from a file). */
export function rawColumnsOf(table: Table): RawColumn[] {
  return table.columns.map((name, j) => {
    const raw = new RawColumn(name, { keepText: true });
    for (const cell of table.data[j]) raw.pushCell(cell);
    return raw;
  });
}

/**
 * SDV-vocabulary metadata of a table: numerical (Int64 or Float with decimals), categorical (including numeric
 * columns with at most 2 distinct values), boolean, datetime (with its format), id (unique keys), text, plus
 * personal-data and constant flags.
 */
export function inferMetadata(table: Table, options: InferOptions = {}): TableMetadata {
  return inferFromRawColumns(rawColumnsOf(table), options).metadata;
}

export function inferMetadataWithWarnings(table: Table, options: InferOptions = {}): InferResult {
  return inferFromRawColumns(rawColumnsOf(table), options);
}
