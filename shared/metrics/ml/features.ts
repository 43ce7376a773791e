import type { Table } from "../../data/table.ts";
import { categoryKey, cellsOf, finiteValues, numericColumn, type MetricColumn } from "../columns.ts";
import { quantile } from "../privacy.ts";

/**
 * The reference's feature protocol: numbers (and datetimes) as they are with missing values imputed by the
 * training median, categories one-hot encoded on the training categories (a category unseen in training
 * encodes as all zeros, as scikit-learn's OneHotEncoder(handle_unknown="ignore"); a missing category is a
 * category of its own). Fitted on the training table, applied to any table.
 */
export const MAX_ONE_HOT_LEVELS = 100;

export interface FeatureEncoder {
  width: number;
  names: string[];
  transform(table: Table): Float64Array;
}

export function fitFeatureEncoder(train: Table, columns: readonly MetricColumn[]): FeatureEncoder {
  type Part =
    | { kind: "number"; name: string; median: number }
    | { kind: "onehot"; name: string; levels: Map<string | null, number> };
  const parts: Part[] = [];
  const names: string[] = [];
  for (const col of columns) {
    const cells = cellsOf(train, col.name, "training");
    if (col.kind === "continuous") {
      const finite = finiteValues(numericColumn(cells)).sort();
      parts.push({ kind: "number", name: col.name, median: finite.length ? quantile(finite, 0.5) : 0 });
      names.push(col.name);
    } else {
      const counts = new Map<string | null, number>();
      for (const cell of cells) {
        const k = categoryKey(cell);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      // The most frequent levels only, so an id-like column cannot blow the matrix up (the reference's
      // datasets stay far below the cap; rarer levels then encode like unseen ones).
      const kept = [...counts.entries()].sort((x, y) => y[1] - x[1]).slice(0, MAX_ONE_HOT_LEVELS);
      const levels = new Map<string | null, number>(kept.map(([k], i) => [k, i]));
      parts.push({ kind: "onehot", name: col.name, levels });
      for (const k of levels.keys()) names.push(`${col.name}=${k ?? "(missing)"}`);
    }
  }
  const width = names.length;
  return {
    width,
    names,
    transform(table: Table): Float64Array {
      const rows = table.data.length === 0 ? 0 : table.data[0].length;
      const x = new Float64Array(rows * width);
      let offset = 0;
      for (const part of parts) {
        const cells = cellsOf(table, part.name, "evaluated");
        if (part.kind === "number") {
          const values = numericColumn(cells);
          for (let i = 0; i < rows; i++)
            x[i * width + offset] = values[i] === values[i] ? values[i] : part.median;
          offset += 1;
        } else {
          for (let i = 0; i < rows; i++) {
            const level = part.levels.get(categoryKey(cells[i]));
            if (level !== undefined) x[i * width + offset + level] = 1;
          }
          offset += part.levels.size;
        }
      }
      return x;
    },
  };
}
