import ExcelJS from "exceljs";
import { neutraliseFormula } from "./formula-injection.ts";
import type { TableMetadata } from "./metadata.ts";
import { rowCount, type Cell, type Table } from "./table.ts";
import type { ResolvedWriteOptions } from "./write.ts";

/** xlsx via exceljs: numbers, booleans and dates as native cells; text neutralised against formula injection. */
export async function writeXlsx(
  table: Table,
  metadata: TableMetadata,
  options: ResolvedWriteOptions,
): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  const ws = workbook.addWorksheet(options.sheetName);
  const byName = new Map(metadata.columns.map((c) => [c.name, c]));
  const text = (s: string): string => (options.neutraliseFormulas ? neutraliseFormula(s) : s);
  ws.addRow(table.columns.map(text));
  const n = rowCount(table);
  for (let i = 0; i < n; i++) {
    ws.addRow(
      table.data.map((col): Cell => {
        const v = col[i];
        if (typeof v === "string") return text(v);
        if (typeof v === "number" && !Number.isFinite(v)) return null;
        return v;
      }),
    );
  }
  table.columns.forEach((name, j) => {
    const meta = byName.get(name);
    if (meta?.sdtype === "datetime") {
      ws.getColumn(j + 1).numFmt =
        meta.datetimeFormat && !/%[HIMS]/.test(meta.datetimeFormat) ? "yyyy-mm-dd" : "yyyy-mm-dd hh:mm:ss";
    }
  });
  const buffer = await workbook.xlsx.writeBuffer();
  return new Uint8Array(buffer as ArrayBuffer);
}
