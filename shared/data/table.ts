/**
 * The in-memory table every part of synth passes around. Column-major, because models, metrics and the
 * profiler all work a column at a time and a column of numbers is then one array.
 *
 * Cell values by column sdtype (see metadata.ts): numerical -> number, categorical -> string,
 * boolean -> boolean, datetime -> Date, id -> string | number, text -> string; a missing value is null.
 * Cells are values: never mutate one in place (readers may share one Date among equal cells to save memory).
 */
export type Cell = string | number | boolean | Date | null;

export interface Table {
  /** Column names, unique, in file order. */
  readonly columns: string[];
  /** data[j][i] is row i of column j; every column has rowCount(table) entries. */
  readonly data: Cell[][];
}

export function rowCount(table: Table): number {
  return table.data.length === 0 ? 0 : table.data[0].length;
}

export function columnIndex(table: Table, name: string): number {
  return table.columns.indexOf(name);
}

export function getColumn(table: Table, name: string): Cell[] {
  const j = table.columns.indexOf(name);
  if (j < 0) throw new RangeError(`no column named ${JSON.stringify(name)}`);
  return table.data[j];
}

/** Builds a table from row-major records, the shape most callers (and tests) have at hand. */
export function fromRows(columns: string[], rows: readonly (readonly Cell[])[]): Table {
  const data: Cell[][] = columns.map(() => new Array<Cell>(rows.length));
  rows.forEach((row, i) => {
    for (let j = 0; j < columns.length; j++) data[j][i] = row[j] ?? null;
  });
  return { columns: [...columns], data };
}

export function toRows(table: Table): Cell[][] {
  const n = rowCount(table);
  const rows: Cell[][] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = table.data.map((col) => col[i]);
  return rows;
}

/** Rows at the given indices, in that order (used for splits, shuffles and subsampling). */
export function takeRows(table: Table, indices: ArrayLike<number>): Table {
  return {
    columns: [...table.columns],
    data: table.data.map((col) => Array.from(indices, (i) => col[i])),
  };
}
