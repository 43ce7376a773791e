import type { Cell, Table } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { categoryKey, cellsOf, finiteValues, mean, metricColumns, minMax, numericColumn } from "./columns.ts";

/**
 * SDMetrics' DiagnosticReport: data validity (BoundaryAdherence, CategoryAdherence, KeyUniqueness) and data
 * structure (TableStructure). A valid synthetic table scores 1 everywhere.
 */
export interface ValidityDetail {
  column: string;
  metric: "BoundaryAdherence" | "CategoryAdherence" | "KeyUniqueness";
  score: number | null;
}

export interface DiagnosticsResult {
  overall: number | null;
  dataValidity: number | null;
  dataStructure: number;
  validity: ValidityDetail[];
  /** Columns present on one side only, or whose values have a different type. */
  structureMismatches: { column: string; real: string | null; synthetic: string | null }[];
}

/** Share of non-missing synthetic values inside [min, max] of the real column (null if none). */
export function boundaryAdherence(real: Float64Array, synthetic: Float64Array): number | null {
  const realFinite = finiteValues(real);
  const syn = finiteValues(synthetic);
  if (realFinite.length === 0 || syn.length === 0) return null;
  const { min, max } = minMax(realFinite);
  let inside = 0;
  for (let i = 0; i < syn.length; i++) if (syn[i] >= min && syn[i] <= max) inside++;
  return inside / syn.length;
}

/** Share of synthetic values (missing included) that are categories of the real column. */
export function categoryAdherence(real: readonly Cell[], synthetic: readonly Cell[]): number | null {
  if (synthetic.length === 0) return null;
  const known = new Set(real.map(categoryKey));
  let ok = 0;
  for (const cell of synthetic) if (known.has(categoryKey(cell))) ok++;
  return ok / synthetic.length;
}

/** Share of synthetic key values that are present and not a repeat of an earlier one. */
export function keyUniqueness(synthetic: readonly Cell[]): number | null {
  if (synthetic.length === 0) return null;
  const seen = new Set<string>();
  let ok = 0;
  for (const cell of synthetic) {
    const k = categoryKey(cell);
    if (k === null || seen.has(k)) continue;
    seen.add(k);
    ok++;
  }
  return ok / synthetic.length;
}

/** The value type of a column as stored (number, string, boolean, datetime, mixed, empty). */
export function storedType(cells: readonly Cell[]): string {
  let type: string | null = null;
  for (const cell of cells) {
    if (cell === null) continue;
    const t = cell instanceof Date ? "datetime" : typeof cell;
    if (type === null) type = t;
    else if (type !== t) return "mixed";
  }
  return type ?? "empty";
}

/** SDMetrics TableStructure: |same (name, type)| / |union of (name, type)|. */
export function tableStructure(
  real: Table,
  synthetic: Table,
): Pick<DiagnosticsResult, "dataStructure" | "structureMismatches"> {
  const realTypes = new Map(real.columns.map((c, j) => [c, storedType(real.data[j])]));
  const synTypes = new Map(synthetic.columns.map((c, j) => [c, storedType(synthetic.data[j])]));
  const names = [...new Set([...real.columns, ...synthetic.columns])];
  const mismatches: DiagnosticsResult["structureMismatches"] = [];
  let same = 0;
  let union = 0;
  for (const name of names) {
    const r = realTypes.get(name) ?? null;
    const s = synTypes.get(name) ?? null;
    // An all-missing column matches any type: its dtype says nothing about the generator.
    const match = r !== null && s !== null && (r === s || r === "empty" || s === "empty");
    if (match) {
      same++;
      union++;
    } else {
      union += r !== null && s !== null ? 2 : 1;
      mismatches.push({ column: name, real: r, synthetic: s });
    }
  }
  return { dataStructure: union === 0 ? 1 : same / union, structureMismatches: mismatches };
}

export function diagnostics(real: Table, synthetic: Table, metadata: TableMetadata): DiagnosticsResult {
  const validity: ValidityDetail[] = [];
  for (const col of metricColumns(metadata)) {
    if (!synthetic.columns.includes(col.name) || !real.columns.includes(col.name)) continue;
    const r = cellsOf(real, col.name, "real");
    const s = cellsOf(synthetic, col.name, "synthetic");
    validity.push(
      col.kind === "continuous"
        ? {
            column: col.name,
            metric: "BoundaryAdherence",
            score: boundaryAdherence(numericColumn(r), numericColumn(s)),
          }
        : { column: col.name, metric: "CategoryAdherence", score: categoryAdherence(r, s) },
    );
  }
  const key = metadata.primaryKey;
  if (key !== undefined && synthetic.columns.includes(key)) {
    validity.push({
      column: key,
      metric: "KeyUniqueness",
      score: keyUniqueness(cellsOf(synthetic, key, "synthetic")),
    });
  }
  const dataValidity = mean(validity.map((v) => v.score).filter((v): v is number => v !== null));
  const structure = tableStructure(real, synthetic);
  const overall = mean([dataValidity, structure.dataStructure].filter((v): v is number => v !== null));
  return { overall, dataValidity, ...structure, validity };
}
