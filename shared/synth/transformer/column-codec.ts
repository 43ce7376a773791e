import { z } from "zod";
import { synthError } from "../../errors.ts";
import type { Rng } from "../../random.ts";
import type { Cell, Table } from "../../data/table.ts";
import type { ColumnMetadata, TableMetadata } from "../../data/metadata.ts";
import { compileFormat } from "../../data/datetime-format.ts";
import { datetimeUnitMs, formatStrftime } from "./datetime-format.ts";

/**
 * The first, model-independent layer of the reversible transformer: what each column is and how its cells
 * become numbers or category codes and back. Both the mode-specific normaliser (neural models) and the
 * Gaussian copula sit on top of it, so rounding, min/max clipping, datetime restoration, id regeneration,
 * constant columns and the missing-value rate behave identically whatever the model.
 *
 * - numerical / datetime -> "numeric": finite numbers (datetimes as epoch ms), NaN for missing.
 * - categorical / boolean -> "categorical": codes into levels sorted by frequency; a missing value is a level.
 * - id -> regenerated unique ("generated"), never learned (SDV does the same for its id sdtype).
 * - text and columns flagged as personal data -> regenerated as opaque unique tokens ("generated"):
 *   copying free text or personal data into a synthetic table would defeat its purpose.
 * - a column with one distinct non-missing value -> "constant": that value at the real missing rate.
 */
export const codecOptionsSchema = z.object({
  /** SDV's enforce_rounding: integers rounded, floats to the decimals seen, datetimes to their unit. */
  enforceRounding: z
    .boolean()
    .default(true)
    .describe(
      "Round synthetic numbers as the real ones: integers to integers, floats to the decimals seen, datetimes to their unit (SDV's enforce_rounding, default true)",
    ),
  /** SDV's enforce_min_max_values: numbers clipped to the real [min, max]. */
  enforceMinMaxValues: z
    .boolean()
    .default(true)
    .describe(
      "Clip synthetic numbers to the real column's [min, max] (SDV's enforce_min_max_values, default true)",
    ),
});
export type CodecOptions = z.infer<typeof codecOptionsSchema>;

const primitiveSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
type Primitive = z.infer<typeof primitiveSchema>;

const numericSpecSchema = z.object({
  kind: z.literal("numeric"),
  name: z.string(),
  sdtype: z.enum(["numerical", "datetime"]),
  min: z.number(),
  max: z.number(),
  nullRate: z.number().min(0).max(1),
  integer: z.boolean(),
  /** Decimal digits to round to (null: no rounding scheme could be learned). */
  decimals: z.number().int().min(0).max(15).nullable(),
  /** How the cells looked, to restore them: numbers, Date objects or formatted strings. */
  representation: z.enum(["number", "date", "string"]),
  datetimeFormat: z.string().optional(),
  datetimeUnitMs: z.number().optional(),
});

const categoricalSpecSchema = z.object({
  kind: z.literal("categorical"),
  name: z.string(),
  sdtype: z.enum(["categorical", "boolean"]),
  /** Levels sorted by decreasing frequency (ties: first seen first); null is the missing level. */
  levels: z.array(primitiveSchema),
  counts: z.array(z.number().int().nonnegative()),
  /** Levels that were Date cells are stored as ISO strings and restored as Dates. */
  dates: z.boolean().default(false),
});

const generatedSpecSchema = z.object({
  kind: z.literal("generated"),
  name: z.string(),
  sdtype: z.enum(["id", "text", "categorical", "numerical", "boolean", "datetime"]),
  representation: z.enum(["number", "string"]),
  prefix: z.string(),
  width: z.number().int().nonnegative(),
  nullRate: z.number().min(0).max(1),
});

const constantSpecSchema = z.object({
  kind: z.literal("constant"),
  name: z.string(),
  sdtype: z.string(),
  value: primitiveSchema,
  date: z.boolean().default(false),
  nullRate: z.number().min(0).max(1),
});

export const columnSpecSchema = z.discriminatedUnion("kind", [
  numericSpecSchema,
  categoricalSpecSchema,
  generatedSpecSchema,
  constantSpecSchema,
]);
export type ColumnSpec = z.infer<typeof columnSpecSchema>;
export type NumericSpec = z.infer<typeof numericSpecSchema>;
export type CategoricalSpec = z.infer<typeof categoricalSpecSchema>;
export type GeneratedSpec = z.infer<typeof generatedSpecSchema>;
export type ConstantSpec = z.infer<typeof constantSpecSchema>;

/** A stable key per distinct cell, so 1 and "1" or true and "true" stay different levels. */
export function cellKey(cell: Cell | Primitive): string {
  if (cell === null || cell === undefined) return "\u0000";
  if (cell instanceof Date) return `d${cell.toISOString()}`;
  if (typeof cell === "number") return Number.isNaN(cell) ? "\u0000" : `n${cell}`;
  if (typeof cell === "boolean") return `b${cell}`;
  return `s${cell}`;
}

function isMissing(cell: Cell): boolean {
  return cell === null || cell === undefined || (typeof cell === "number" && Number.isNaN(cell));
}

function toPrimitive(cell: Cell): { value: Primitive; date: boolean } {
  if (cell instanceof Date) return { value: cell.toISOString(), date: true };
  if (isMissing(cell)) return { value: null, date: false };
  return { value: cell as Primitive, date: false };
}

function fromPrimitive(value: Primitive, date: boolean): Cell {
  if (date && typeof value === "string") return new Date(value);
  return value;
}

function cellToNumber(cell: Cell, column: string, row: number, datetimeFormat?: string): number {
  if (cell === null || isMissing(cell)) return NaN;
  if (typeof cell === "number") return cell;
  if (cell instanceof Date) return cell.getTime();
  if (typeof cell === "boolean") return cell ? 1 : 0;
  const text = cell.trim();
  if (datetimeFormat !== undefined) {
    const parsed = compileFormat(datetimeFormat).parse(text);
    if (parsed !== null) return parsed.getTime();
  }
  const asNumber = Number(text);
  if (text !== "" && Number.isFinite(asNumber)) return asNumber;
  const asDate = Date.parse(text);
  if (Number.isFinite(asDate)) return asDate;
  throw synthError(
    "INVALID_NUMBER",
    `column ${column} row ${row + 1}: ${JSON.stringify(cell)} is not a number`,
    {
      column,
      row,
    },
  );
}

/** Digits after the decimal point needed to write every value exactly (null if some value needs > 15). */
export function learnDecimals(values: ArrayLike<number>): number | null {
  let decimals = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || Number.isInteger(v)) continue;
    let d = decimals;
    while (d <= 15 && Number(v.toFixed(d)) !== v) d++;
    if (d > 15) return null;
    decimals = d;
  }
  return decimals;
}

function commonPrefix(values: string[]): string {
  if (values.length === 0) return "";
  let prefix = values[0].replace(/\d.*$/, "");
  for (const v of values) {
    while (prefix.length > 0 && !v.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}

function fitGenerated(meta: ColumnMetadata, cells: Cell[]): GeneratedSpec {
  const present = cells.filter((c) => !isMissing(c));
  const numeric = present.length > 0 && present.every((c) => typeof c === "number");
  const strings = present.map((c) => String(c instanceof Date ? c.toISOString() : c));
  const prefix = numeric ? "" : meta.sdtype === "id" ? commonPrefix(strings) : `${meta.name}_`;
  const width = numeric ? 0 : Math.max(0, ...strings.map((s) => s.length - prefix.length));
  return {
    kind: "generated",
    name: meta.name,
    sdtype: meta.sdtype,
    representation: numeric ? "number" : "string",
    prefix,
    width: meta.sdtype === "id" ? Math.min(width, 12) : 0,
    nullRate: meta.sdtype === "id" ? 0 : (cells.length - present.length) / Math.max(1, cells.length),
  };
}

function fitNumeric(meta: ColumnMetadata, cells: Cell[]): NumericSpec | ConstantSpec {
  const format = meta.sdtype === "datetime" ? meta.datetimeFormat : undefined;
  const values = cells.map((c, i) => cellToNumber(c, meta.name, i, format));
  let min = Infinity;
  let max = -Infinity;
  let missing = 0;
  for (const v of values) {
    if (Number.isNaN(v)) missing++;
    else if (!Number.isFinite(v)) {
      throw synthError("INVALID_NUMBER", `column ${meta.name} holds an infinite value`, {
        column: meta.name,
      });
    } else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const nullRate = missing / Math.max(1, values.length);
  const firstPresent = cells.find((c) => !isMissing(c)) ?? null;
  const representation: NumericSpec["representation"] =
    firstPresent instanceof Date ? "date" : typeof firstPresent === "string" ? "string" : "number";
  if (min === max || missing === values.length) {
    const { value, date } = toPrimitive(firstPresent);
    return { kind: "constant", name: meta.name, sdtype: meta.sdtype, value, date, nullRate };
  }
  const isDatetime = meta.sdtype === "datetime";
  const declaredInteger =
    meta.computerRepresentation !== undefined && meta.computerRepresentation !== "Float";
  const decimals = isDatetime ? 0 : (meta.decimals ?? learnDecimals(values));
  return {
    kind: "numeric",
    name: meta.name,
    sdtype: isDatetime ? "datetime" : "numerical",
    min,
    max,
    nullRate,
    integer: isDatetime || declaredInteger || decimals === 0,
    decimals,
    representation,
    ...(isDatetime ? { datetimeUnitMs: datetimeUnitMs(values) } : {}),
    ...(meta.datetimeFormat !== undefined ? { datetimeFormat: meta.datetimeFormat } : {}),
  };
}

function fitCategorical(meta: ColumnMetadata, cells: Cell[]): CategoricalSpec | ConstantSpec {
  const index = new Map<string, number>();
  const levels: Primitive[] = [];
  const counts: number[] = [];
  let dates = false;
  for (const cell of cells) {
    const key = cellKey(cell);
    const at = index.get(key);
    if (at !== undefined) counts[at]++;
    else {
      const p = toPrimitive(cell);
      dates ||= p.date;
      index.set(key, levels.length);
      levels.push(p.value);
      counts.push(1);
    }
  }
  const order = levels.map((_, i) => i).sort((a, b) => counts[b] - counts[a] || a - b);
  const present = levels.filter((l) => l !== null);
  if (present.length <= 1) {
    const nullAt = levels.indexOf(null);
    return {
      kind: "constant",
      name: meta.name,
      sdtype: meta.sdtype,
      value: present[0] ?? null,
      date: dates,
      nullRate: nullAt < 0 ? 0 : counts[nullAt] / cells.length,
    };
  }
  return {
    kind: "categorical",
    name: meta.name,
    sdtype: meta.sdtype === "boolean" ? "boolean" : "categorical",
    levels: order.map((i) => levels[i]),
    counts: order.map((i) => counts[i]),
    dates,
  };
}

/** Learns one spec per column of the table, in table order. */
export function fitColumnSpecs(table: Table, metadata: TableMetadata): ColumnSpec[] {
  return table.columns.map((name, j) => {
    const meta = metadata.columns.find((c) => c.name === name);
    if (meta === undefined) {
      throw synthError("INVALID_METADATA", `column ${name} has no metadata`, { column: name });
    }
    const cells = table.data[j];
    if (meta.sdtype === "id" || meta.sdtype === "text" || meta.pii !== undefined)
      return fitGenerated(meta, cells);
    if (meta.sdtype === "numerical" || meta.sdtype === "datetime") return fitNumeric(meta, cells);
    return fitCategorical(meta, cells);
  });
}

/** Cells -> numbers (NaN for missing). */
export function encodeNumeric(spec: NumericSpec, cells: Cell[]): Float64Array {
  const out = new Float64Array(cells.length);
  const format = spec.sdtype === "datetime" ? spec.datetimeFormat : undefined;
  for (let i = 0; i < cells.length; i++) out[i] = cellToNumber(cells[i], spec.name, i, format);
  return out;
}

function roundTo(v: number, decimals: number): number {
  return Number(v.toFixed(decimals));
}

/** Numbers (NaN for missing) -> cells, applying the rounding and min/max rules. */
export function decodeNumeric(spec: NumericSpec, values: ArrayLike<number>, options: CodecOptions): Cell[] {
  const out = new Array<Cell>(values.length);
  const unit = spec.datetimeUnitMs ?? 1;
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    if (Number.isNaN(v)) {
      out[i] = null;
      continue;
    }
    if (options.enforceMinMaxValues) v = Math.min(spec.max, Math.max(spec.min, v));
    if (options.enforceRounding) {
      if (spec.sdtype === "datetime") v = Math.round(v / unit) * unit;
      else if (spec.integer) v = Math.round(v);
      else if (spec.decimals !== null) v = roundTo(v, spec.decimals);
    }
    if (spec.sdtype === "datetime") {
      const ms = Math.round(v);
      if (spec.representation === "date") out[i] = new Date(ms);
      else if (spec.representation === "string") {
        const d = new Date(ms);
        out[i] = spec.datetimeFormat !== undefined ? formatStrftime(d, spec.datetimeFormat) : d.toISOString();
      } else out[i] = ms;
    } else out[i] = v === 0 ? 0 : v;
  }
  return out;
}

/** Cells -> level codes (a cell never seen at fit time is an error: the transformer was fitted elsewhere). */
export function encodeCategorical(spec: CategoricalSpec, cells: Cell[]): Int32Array {
  const index = new Map<string, number>();
  spec.levels.forEach((level, i) => index.set(cellKey(fromPrimitive(level, spec.dates)), i));
  const out = new Int32Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const code = index.get(cellKey(cells[i]));
    if (code === undefined) {
      throw synthError("VALIDATION_ERROR", `column ${spec.name} row ${i + 1}: unknown category`, {
        column: spec.name,
        row: i,
      });
    }
    out[i] = code;
  }
  return out;
}

export function decodeCategorical(spec: CategoricalSpec, codes: ArrayLike<number>): Cell[] {
  const levels = spec.levels.map((l) => fromPrimitive(l, spec.dates));
  return Array.from(codes, (c) => levels[c]);
}

/** Columns that are produced rather than learned: ids, tokens and constants. */
export function generateColumn(spec: GeneratedSpec | ConstantSpec, rows: number, rng: Rng): Cell[] {
  const out = new Array<Cell>(rows);
  if (spec.kind === "constant") {
    const value = fromPrimitive(spec.value, spec.date);
    for (let i = 0; i < rows; i++) out[i] = spec.nullRate > 0 && rng.next() < spec.nullRate ? null : value;
    return out;
  }
  for (let i = 0; i < rows; i++) {
    if (spec.nullRate > 0 && rng.next() < spec.nullRate) out[i] = null;
    else if (spec.representation === "number") out[i] = i;
    else out[i] = `${spec.prefix}${String(i).padStart(spec.width, "0")}`;
  }
  return out;
}

/** The category code a condition value names, or -1 if the column never had it. */
export function categoricalCode(spec: CategoricalSpec, value: Cell): number {
  const key = cellKey(value);
  return spec.levels.findIndex((l) => cellKey(fromPrimitive(l, spec.dates)) === key);
}
