import { concatBytes } from "./bytes.ts";
import { strToU8, Zip, ZipDeflate } from "fflate";
import { synthError } from "../errors.ts";
import type { ColumnMetadata, TableMetadata } from "./metadata.ts";
import { rowCount, type Cell, type Table } from "./table.ts";
import type { ResolvedWriteOptions } from "./write.ts";

/**
 * xlsx (Office Open XML SpreadsheetML) written directly and zipped as it is produced with fflate. exceljs builds
 * an object per cell before writing: 300 000 rows x 11 columns took it 66 s and 3 GB; this writer streams the
 * sheet XML in chunks through the deflater, so output memory is the compressed file. Strings are inline
 * (t="inlineStr"), numbers plain, booleans t="b", dates serial numbers with a date style; exceljs (our
 * reader), Excel and LibreOffice read the result. No cell is ever a formula (no <f> element is written), so
 * text such as "=SUM(A1)" or "-1 year" is stored as it is, with no apostrophe: a string cell is shown, never run.
 */
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships";
const EXCEL_MAX_ROWS = 1_048_576;
const EXCEL_MAX_COLUMNS = 16_384;
const EXCEL_MAX_CELL_CHARS = 32_767;
/**
 * Every zip entry's modification time: fixed, so the same table always gives the same bytes (the time of writing
 * would make two writes differ). Local midnight of 1980-01-01, the first time a zip can hold, in any time zone.
 */
const ENTRY_TIME = new Date(1980, 0, 1);

const CONTENT_TYPES =
  XML_HEAD +
  `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
  `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
  `<Default Extension="xml" ContentType="application/xml"/>` +
  `<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
  `<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
  `<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
  `</Types>`;

const ROOT_RELS =
  XML_HEAD +
  `<Relationships xmlns="${NS_PKG_REL}">` +
  `<Relationship Id="rId1" Type="${NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;

const WORKBOOK_RELS =
  XML_HEAD +
  `<Relationships xmlns="${NS_PKG_REL}">` +
  `<Relationship Id="rId1" Type="${NS_REL}/worksheet" Target="worksheets/sheet1.xml"/>` +
  `<Relationship Id="rId2" Type="${NS_REL}/styles" Target="styles.xml"/></Relationships>`;

/** Style 0: default; 1: date (built-in format 14 shows the locale's date); 2: date and time. */
const STYLES =
  XML_HEAD +
  `<styleSheet xmlns="${NS_MAIN}">` +
  `<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>` +
  `<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>` +
  `<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
  `<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
  `<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
  `<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
  `<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
  `<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>` +
  `<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
  `</styleSheet>`;

function workbookXml(sheetName: string): string {
  return (
    XML_HEAD +
    `<workbook xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><sheets>` +
    `<sheet name="${escapeXml(sheetName)}" sheetId="1" r:id="rId1"/></sheets></workbook>`
  );
}

/** Column letters of a 0-based index: 0 -> A, 26 -> AA. */
export function columnLetters(index: number): string {
  let n = index + 1;
  let out = "";
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

// Characters XML 1.0 cannot carry at all (controls other than tab, LF, CR; lone surrogates; U+FFFE/FFFF) are
// written in SpreadsheetML's own escape, _xHHHH_, which Excel and exceljs decode back.
const INVALID_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const NEEDS_ESCAPE = /[&<>"]/;

function escapeXml(text: string): string {
  let s = text;
  if (NEEDS_ESCAPE.test(s))
    s = s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  if (INVALID_XML.test(s)) {
    INVALID_XML.lastIndex = 0;
    s = s.replace(INVALID_XML, (c) => `_x${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}_`);
  }
  INVALID_XML.lastIndex = 0;
  return s;
}

/** Days since 1899-12-30 (Excel's 1900 date system, the leap-year bug included for dates after February 1900). */
function excelSerial(date: Date): number {
  return date.getTime() / 86_400_000 + 25_569;
}

function dateStyle(meta: ColumnMetadata | undefined, values: readonly Cell[]): 1 | 2 {
  if (meta?.datetimeFormat) return /%[HIMSf]/.test(meta.datetimeFormat) ? 2 : 1;
  for (const v of values) if (v instanceof Date && v.getTime() % 86_400_000 !== 0) return 2;
  return 1;
}

export async function writeXlsx(
  table: Table,
  metadata: TableMetadata,
  options: ResolvedWriteOptions,
): Promise<Uint8Array> {
  const n = rowCount(table);
  const width = table.columns.length;
  if (n + 1 > EXCEL_MAX_ROWS || width > EXCEL_MAX_COLUMNS) {
    throw synthError(
      "VALIDATION_ERROR",
      `an xlsx sheet holds at most ${EXCEL_MAX_ROWS - 1} rows and ${EXCEL_MAX_COLUMNS} columns; write CSV or Parquet instead`,
      { rows: n, columns: width },
    );
  }
  const chunks: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) failure = err;
    else chunks.push(chunk);
  });
  const addFile = (name: string, text: string): void => {
    const f = new ZipDeflate(name, { level: 6 });
    f.mtime = ENTRY_TIME;
    zip.add(f);
    f.push(strToU8(text), true);
  };
  addFile("[Content_Types].xml", CONTENT_TYPES);
  addFile("_rels/.rels", ROOT_RELS);
  addFile("xl/workbook.xml", workbookXml(options.sheetName));
  addFile("xl/_rels/workbook.xml.rels", WORKBOOK_RELS);
  addFile("xl/styles.xml", STYLES);

  const sheet = new ZipDeflate("xl/worksheets/sheet1.xml", { level: 6 });
  sheet.mtime = ENTRY_TIME;
  zip.add(sheet);
  const encoder = new TextEncoder();
  let buffer = "";
  const emit = (s: string, final = false): void => {
    buffer += s;
    if (buffer.length > 1 << 20 || final) {
      sheet.push(encoder.encode(buffer), final);
      buffer = "";
    }
  };
  const letters = Array.from({ length: width }, (_, j) => columnLetters(j));
  const byName = new Map(metadata.columns.map((c) => [c.name, c]));
  const styles = table.columns.map((name, j) => dateStyle(byName.get(name), table.data[j]));
  const text = (s: string): string => {
    const cut = s.length > EXCEL_MAX_CELL_CHARS ? s.slice(0, EXCEL_MAX_CELL_CHARS) : s;
    const space = cut.length > 0 && (cut[0] === " " || cut[cut.length - 1] === " " || /[\t\n\r]/.test(cut));
    return `<is><t${space ? ' xml:space="preserve"' : ""}>${escapeXml(cut)}</t></is>`;
  };
  emit(
    XML_HEAD +
      `<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}">` +
      `<dimension ref="A1:${letters[Math.max(0, width - 1)] ?? "A"}${n + 1}"/><sheetData>`,
  );
  let header = `<row r="1">`;
  for (let j = 0; j < width; j++)
    header += `<c r="${letters[j]}1" t="inlineStr">${text(table.columns[j])}</c>`;
  emit(`${header}</row>`);
  for (let i = 0; i < n; i++) {
    const r = i + 2;
    let row = `<row r="${r}">`;
    for (let j = 0; j < width; j++) {
      const v = table.data[j][i];
      if (v === null) continue;
      const ref = `${letters[j]}${r}`;
      if (typeof v === "number") {
        if (Number.isFinite(v)) row += `<c r="${ref}"><v>${v}</v></c>`;
      } else if (typeof v === "string") row += `<c r="${ref}" t="inlineStr">${text(v)}</c>`;
      else if (typeof v === "boolean") row += `<c r="${ref}" t="b"><v>${v ? 1 : 0}</v></c>`;
      else row += `<c r="${ref}" s="${styles[j]}"><v>${excelSerial(v)}</v></c>`;
    }
    emit(`${row}</row>`);
  }
  emit(`</sheetData></worksheet>`, true);
  zip.end();
  if (failure) throw failure;
  return concatBytes(chunks);
}
