import ExcelJS from "exceljs";
import { synthError } from "../errors.ts";
import type { DataLimits } from "./limits.ts";
import type { RawRead } from "./load.ts";
import { RawColumn } from "./raw-column.ts";
import { checkColumnNames } from "./validate.ts";
import type { DataWarning } from "./warnings.ts";
import { guardZip, type ZipEntry } from "./zip-guard.ts";

/** "AB" -> 28: the column number of a cell reference's letters. */
function columnNumber(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

/**
 * The declared size of the sheet to be read, from its <dimension ref="A1:K5000"/> (optional in the format),
 * so that a sheet beyond the row or column limit is refused before exceljs builds it in memory.
 */
function declaredDimension(
  entries: ZipEntry[],
  sheet: string | undefined,
): { rows: number; columns: number } | null {
  const text = (name: string): string => {
    const e = entries.find((x) => x.name === name);
    return e?.head ? new TextDecoder().decode(e.head) : "";
  };
  const sheets = [...text("xl/workbook.xml").matchAll(/<sheet\b[^>]*>/g)].map((m) => ({
    name: /\bname="([^"]*)"/.exec(m[0])?.[1],
    rid: /\br:id="([^"]*)"/.exec(m[0])?.[1],
  }));
  const chosen = sheet === undefined ? sheets[0] : sheets.find((x) => x.name === sheet);
  if (!chosen?.rid) return null;
  const rel = [...text("xl/_rels/workbook.xml.rels").matchAll(/<Relationship\b[^>]*>/g)]
    .map((m) => m[0])
    .find((r) => new RegExp(`\\bId="${chosen.rid}"`).test(r));
  const target = rel ? /\bTarget="([^"]*)"/.exec(rel)?.[1] : undefined;
  if (!target) return null;
  const path = target.startsWith("/") ? target.slice(1) : `xl/${target.replace(/^\.\//, "")}`;
  const dim = /<dimension\b[^>]*\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"/i.exec(text(path));
  if (!dim) return null;
  const [, c1, r1, c2 = c1, r2 = r1] = dim;
  return { rows: Number(r2) - Number(r1) + 1, columns: columnNumber(c2) - columnNumber(c1) + 1 };
}

/** A cell's value as data: formulas give their cached result, rich text its plain text, errors nothing. */
function cellValue(v: ExcelJS.CellValue): string | number | boolean | Date | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean" || v instanceof Date) return v;
  if (typeof v === "object") {
    if ("richText" in v) return v.richText.map((r) => r.text).join("");
    if ("error" in v) return null;
    if ("result" in v) return cellValue((v.result ?? null) as ExcelJS.CellValue);
    if ("text" in v && typeof v.text === "string") return v.text;
    if ("formula" in v || "sharedFormula" in v) return null;
  }
  return String(v);
}

/**
 * xlsx through exceljs, after the container has passed the zip guard (size, ratio, entity declarations).
 * The first row names the columns; dates are real dates (exceljs reads date-formatted serials as UTC).
 */
export async function readXlsx(bytes: Uint8Array, limits: DataLimits, sheet?: string): Promise<RawRead> {
  const entries = guardZip(bytes, limits);
  const names = new Set(entries.map((e) => e.name));
  if (!names.has("[Content_Types].xml") || !names.has("xl/workbook.xml")) {
    throw synthError("UNSUPPORTED_FORMAT", "the file is a zip archive but not an Excel workbook (.xlsx)", {
      entries: [...names].slice(0, 10),
    });
  }
  const dim = declaredDimension(entries, sheet);
  if (dim !== null && dim.columns > limits.maxColumns) {
    throw synthError(
      "TOO_MANY_COLUMNS",
      `the sheet declares ${dim.columns} columns (limit ${limits.maxColumns})`,
      {
        maxColumns: limits.maxColumns,
        columns: dim.columns,
      },
    );
  }
  if (dim !== null && dim.rows - 1 > limits.maxRows) {
    throw synthError(
      "TOO_MANY_ROWS",
      `the sheet declares ${dim.rows - 1} data rows (limit ${limits.maxRows})`,
      {
        maxRows: limits.maxRows,
        rows: dim.rows - 1,
      },
    );
  }
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(bytes.slice().buffer as ArrayBuffer);
  } catch (cause) {
    throw synthError(
      "CORRUPT_FILE",
      `the workbook could not be read: ${(cause as Error).message}`,
      {},
      cause,
    );
  }
  const warnings: DataWarning[] = [];
  const sheets = workbook.worksheets;
  const ws = sheet === undefined ? sheets[0] : workbook.getWorksheet(sheet);
  if (ws === undefined) {
    throw synthError(
      "NOT_FOUND",
      sheet === undefined
        ? "the workbook has no sheets"
        : `the workbook has no sheet named ${JSON.stringify(sheet)}`,
      {
        sheets: sheets.map((s) => s.name),
      },
    );
  }
  if (sheet === undefined && sheets.length > 1) {
    warnings.push({
      code: "EXTRA_SHEETS_IGNORED",
      message: `read the first sheet ${JSON.stringify(ws.name)}; the workbook also has ${sheets
        .slice(1)
        .map((s) => JSON.stringify(s.name))
        .join(", ")} (choose one with the sheet option)`,
    });
  }
  const width = ws.columnCount;
  if (width > limits.maxColumns) {
    throw synthError("TOO_MANY_COLUMNS", `the sheet has more than ${limits.maxColumns} columns`, {
      maxColumns: limits.maxColumns,
      columns: width,
    });
  }
  if (ws.actualRowCount === 0 || width === 0)
    throw synthError("EMPTY_FILE", `the sheet ${JSON.stringify(ws.name)} is empty`);
  const header = ws.getRow(1);
  const headerNames: string[] = [];
  for (let j = 1; j <= width; j++) {
    const v = cellValue(header.getCell(j).value);
    headerNames.push(v === null ? "" : v instanceof Date ? v.toISOString() : String(v).trim());
  }
  // Trailing columns without a name and without data are formatting leftovers, not columns.
  while (headerNames.length > 0 && headerNames[headerNames.length - 1] === "") headerNames.pop();
  checkColumnNames(headerNames);
  // Trailing empty rows are formatting leftovers too.
  let last = ws.rowCount;
  while (last > 1 && !ws.getRow(last).hasValues) last--;
  if (last - 1 > limits.maxRows) {
    throw synthError("TOO_MANY_ROWS", `the sheet has more than ${limits.maxRows} rows`, {
      maxRows: limits.maxRows,
    });
  }
  const columns = headerNames.map((name) => new RawColumn(name, { keepText: true }));
  for (let r = 2; r <= last; r++) {
    const row = ws.getRow(r);
    for (let j = 0; j < columns.length; j++) {
      const v = cellValue(row.getCell(j + 1).value);
      if (typeof v === "string" && v.length > limits.maxFieldBytes) {
        throw synthError("FIELD_TOO_LARGE", `a cell is larger than ${limits.maxFieldBytes} bytes`, {
          row: r - 1,
          column: columns[j].name,
        });
      }
      columns[j].pushCell(v);
    }
  }
  return { columns, warnings };
}
