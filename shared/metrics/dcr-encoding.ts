import type { Table } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { categoryKey, cellsOf, finiteValues, metricColumns, minMax, numericColumn } from "./columns.ts";

/**
 * How DCR sees a row: numbers divided by their reference column's range (so a per-column distance is a plain
 * difference, capped at 1), everything else as an integer code compared for equality.
 */
export interface NumericColumnSpec {
  name: string;
  range: number;
}

export interface CategoricalColumnSpec {
  name: string;
  /** Category key -> code; grows as query tables bring categories the reference lacks. */
  dictionary: Map<string | null, number>;
  /** A constant (or all-missing) numerical column compares values exactly, like a category. */
  numericValues: boolean;
}

export interface EncodedRows {
  rows: number;
  /** rows x p numeric values divided by the reference range (NaN = missing). */
  scaled: Float64Array;
  /** rows x p raw numeric values, for the relative copy tolerance. */
  raw: Float64Array;
  /** rows x q category codes. */
  codes: Int32Array;
}

/** The columns the distance averages over, read from the reference table. */
export function columnSpecs(
  reference: Table,
  metadata: TableMetadata,
): { numeric: NumericColumnSpec[]; categorical: CategoricalColumnSpec[] } {
  const numeric: NumericColumnSpec[] = [];
  const categorical: CategoricalColumnSpec[] = [];
  for (const col of metricColumns(metadata)) {
    const cells = cellsOf(reference, col.name, "reference");
    if (col.kind === "continuous") {
      const values = finiteValues(numericColumn(cells));
      const { min, max } = minMax(values);
      const range = max - min;
      if (values.length > 0 && range > 0 && Number.isFinite(range)) {
        numeric.push({ name: col.name, range });
        continue;
      }
      categorical.push({ name: col.name, dictionary: new Map(), numericValues: true });
    } else {
      categorical.push({ name: col.name, dictionary: new Map(), numericValues: false });
    }
  }
  return { numeric, categorical };
}

function numericKey(value: number): string | null {
  return Number.isNaN(value) ? null : String(value);
}

/** Encodes a table's rows (row-major), adding codes for categories the dictionaries have not seen. */
export function encodeRows(
  table: Table,
  numeric: readonly NumericColumnSpec[],
  categorical: readonly CategoricalColumnSpec[],
): EncodedRows {
  const rows = table.data.length === 0 ? 0 : table.data[0].length;
  const p = numeric.length;
  const q = categorical.length;
  const scaled = new Float64Array(rows * p);
  const raw = new Float64Array(rows * p);
  const codes = new Int32Array(rows * q);
  numeric.forEach((spec, k) => {
    const values = numericColumn(cellsOf(table, spec.name, "compared"));
    for (let i = 0; i < rows; i++) {
      raw[i * p + k] = values[i];
      scaled[i * p + k] = values[i] / spec.range;
    }
  });
  categorical.forEach((spec, c) => {
    const cells = cellsOf(table, spec.name, "compared");
    const numbers = spec.numericValues ? numericColumn(cells) : null;
    for (let i = 0; i < rows; i++) {
      const key = numbers ? numericKey(numbers[i]) : categoryKey(cells[i]);
      let code = spec.dictionary.get(key);
      if (code === undefined) {
        code = spec.dictionary.size;
        spec.dictionary.set(key, code);
      }
      codes[i * q + c] = code;
    }
  });
  return { rows, scaled, raw, codes };
}
