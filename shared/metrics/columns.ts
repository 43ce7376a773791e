import type { Cell, Table } from "../data/table.ts";
import type { Sdtype, TableMetadata } from "../data/metadata.ts";
import { synthError } from "../errors.ts";

/**
 * How the metrics see a column. SDMetrics scores numerical and datetime columns as continuous,
 * categorical and boolean ones as discrete, and leaves id and text columns out of every statistical
 * metric (they carry no distribution worth comparing).
 */
export type ColumnKind = "continuous" | "discrete";

export interface MetricColumn {
  name: string;
  sdtype: Sdtype;
  kind: ColumnKind;
}

export function kindOf(sdtype: Sdtype): ColumnKind | null {
  if (sdtype === "numerical" || sdtype === "datetime") return "continuous";
  if (sdtype === "categorical" || sdtype === "boolean") return "discrete";
  return null;
}

/** The columns the statistical metrics compare, in metadata order. */
export function metricColumns(metadata: TableMetadata): MetricColumn[] {
  const out: MetricColumn[] = [];
  for (const col of metadata.columns) {
    const kind = kindOf(col.sdtype);
    if (kind !== null) out.push({ name: col.name, sdtype: col.sdtype, kind });
  }
  return out;
}

/** The cells of a named column, or a clear error naming the table that lacks it. */
export function cellsOf(table: Table, name: string, which: string): Cell[] {
  const j = table.columns.indexOf(name);
  if (j < 0) {
    throw synthError("INCOMPATIBLE_TABLES", `the ${which} table has no column ${JSON.stringify(name)}`, {
      column: name,
    });
  }
  return table.data[j];
}

/**
 * A continuous cell as a number: numbers as they are, dates as epoch milliseconds (SDMetrics compares
 * datetimes as their numeric timestamps), booleans as 0/1, numeric strings parsed; anything else is missing.
 */
export function toNumber(cell: Cell): number {
  if (cell === null) return NaN;
  if (typeof cell === "number") return cell;
  if (cell instanceof Date) return cell.getTime();
  if (typeof cell === "boolean") return cell ? 1 : 0;
  const trimmed = cell.trim();
  if (trimmed === "") return NaN;
  const n = Number(trimmed);
  if (Number.isFinite(n)) return n;
  const t = Date.parse(trimmed);
  return Number.isFinite(t) ? t : NaN;
}

/** A continuous column as a Float64Array, missing values as NaN. */
export function numericColumn(cells: readonly Cell[]): Float64Array {
  const out = new Float64Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const v = toNumber(cells[i]);
    out[i] = Number.isFinite(v) ? v : NaN;
  }
  return out;
}

/**
 * A discrete cell as the key it is counted under; null is the missing value, which SDMetrics counts as a
 * category of its own (pandas groupby with dropna=False). Numbers and strings that print the same are the
 * same category, so a 0/1 flag read as numbers on one side and as text on the other still matches.
 */
export function categoryKey(cell: Cell): string | null {
  if (cell === null) return null;
  if (typeof cell === "string") return cell;
  if (cell instanceof Date) return cell.toISOString();
  if (typeof cell === "number" && Number.isNaN(cell)) return null;
  return String(cell);
}

/** Non-missing values of a numeric column. */
export function finiteValues(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) out[k++] = values[i];
  return out;
}

export function minMax(values: Float64Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}
