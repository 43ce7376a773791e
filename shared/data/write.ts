import { concatBytes } from "./bytes.ts";
import { z } from "zod";
import { synthError } from "../errors.ts";
import { formatDate } from "./datetime-format.ts";
import { outputFormatSchema, type OutputFormat } from "./formats.ts";
import { neutraliseFormula } from "./formula-injection.ts";
import type { ColumnMetadata, TableMetadata } from "./metadata.ts";
import { rowCount, type Cell, type Table } from "./table.ts";

export const writeOptionsSchema = z.object({
  /**
   * CSV only, off by default: prefix an apostrophe to fields a spreadsheet would run as a formula (those starting
   * with = + - @, a tab or a carriage return, plain numbers excepted). The cost: those values no longer read back
   * as themselves (a category "-1 year" becomes "'-1 year"), so such a CSV does not round-trip. Without it every
   * format reproduces every value exactly, as pandas and SDV users expect. xlsx never needs it: text is written
   * as string cells, which a spreadsheet never evaluates.
   */
  excelSafe: z.boolean().default(false),
  /** CSV field delimiter. */
  delimiter: z.enum([",", ";", "\t", "|"]).default(","),
  /** CSV row terminator: RFC 4180 says CRLF. */
  newline: z.enum(["\r\n", "\n"]).default("\r\n"),
  /** CSV: a UTF-8 byte-order mark, which old Excel versions need to read UTF-8. */
  bom: z.boolean().default(false),
  /** xlsx: the worksheet name. */
  sheetName: z.string().min(1).max(31).default("data"),
});
export type WriteOptions = z.input<typeof writeOptionsSchema>;
export type ResolvedWriteOptions = z.output<typeof writeOptionsSchema>;

export type { OutputFormat };

/** Datetime cells as text: the column's format if it has one, else ISO 8601 (date only at midnight UTC). */
export function dateText(date: Date, meta: ColumnMetadata | undefined): string {
  if (meta?.datetimeFormat) return formatDate(date, meta.datetimeFormat);
  const iso = date.toISOString();
  return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso;
}

function metaList(table: Table, metadata: TableMetadata): (ColumnMetadata | undefined)[] {
  const byName = new Map(metadata.columns.map((c) => [c.name, c]));
  return table.columns.map((c) => byName.get(c));
}

/** Text output built in chunks of about a megabyte, so a large table is never one giant string. */
class TextSink {
  private readonly encoder = new TextEncoder();
  private readonly chunks: Uint8Array[] = [];
  private parts: string[] = [];
  private size = 0;

  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    this.chunks.push(this.encoder.encode(this.parts.join("")));
    this.parts = [];
    this.size = 0;
  }

  bytes(prefix?: Uint8Array): Uint8Array {
    this.flush();
    return concatBytes(prefix ? [prefix, ...this.chunks] : this.chunks);
  }
}

function csvField(text: string, delimiter: string): string {
  if (
    text.includes(delimiter) ||
    text.includes('"') ||
    text.includes("\n") ||
    text.includes("\r") ||
    (text.length > 0 && (text[0] === " " || text[text.length - 1] === " "))
  ) {
    return `"${text.replaceAll('"', '""')}"`;
  }
  return text;
}

function cellText(cell: Cell, meta: ColumnMetadata | undefined, neutralise: boolean): string {
  if (cell === null) return "";
  if (typeof cell === "number") return Number.isFinite(cell) ? String(cell) : "";
  if (typeof cell === "boolean") return cell ? "true" : "false";
  if (cell instanceof Date) return dateText(cell, meta);
  return neutralise ? neutraliseFormula(cell) : cell;
}

/** RFC 4180: header row, fields quoted when they hold the delimiter, a quote or a line break; quotes doubled. */
export function writeCsv(table: Table, metadata: TableMetadata, options: ResolvedWriteOptions): Uint8Array {
  const metas = metaList(table, metadata);
  const sink = new TextSink();
  const d = options.delimiter;
  const nl = options.newline;
  sink.write(
    table.columns.map((c) => csvField(options.excelSafe ? neutraliseFormula(c) : c, d)).join(d) + nl,
  );
  const n = rowCount(table);
  const width = table.columns.length;
  for (let i = 0; i < n; i++) {
    let line = "";
    for (let j = 0; j < width; j++) {
      if (j > 0) line += d;
      line += csvField(cellText(table.data[j][i], metas[j], options.excelSafe), d);
    }
    sink.write(line + nl);
  }
  return sink.bytes(options.bom ? new Uint8Array([0xef, 0xbb, 0xbf]) : undefined);
}

function jsonValue(cell: Cell, meta: ColumnMetadata | undefined): string | number | boolean | null {
  if (cell === null) return null;
  if (typeof cell === "number") return Number.isFinite(cell) ? cell : null;
  if (cell instanceof Date) return dateText(cell, meta);
  return cell;
}

/**
 * A record written by hand: an object built by assignment would lose a column named "__proto__" (assigning to
 * it sets the prototype), and JSON.stringify would then leave it out. Keys are quoted once per table.
 */
function recordJson(table: Table, metas: (ColumnMetadata | undefined)[], keys: string[], i: number): string {
  let out = "{";
  for (let j = 0; j < keys.length; j++) {
    const v = jsonValue(table.data[j][i], metas[j]);
    const text = typeof v === "string" ? JSON.stringify(v) : String(v);
    out += `${j > 0 ? "," : ""}${keys[j]}${text}`;
  }
  return `${out}}`;
}

export function writeJson(table: Table, metadata: TableMetadata, lines: boolean): Uint8Array {
  const metas = metaList(table, metadata);
  const keys = table.columns.map((c) => `${JSON.stringify(c)}:`);
  const sink = new TextSink();
  const n = rowCount(table);
  if (!lines) sink.write("[");
  for (let i = 0; i < n; i++) {
    if (lines) sink.write(`${recordJson(table, metas, keys, i)}\n`);
    else sink.write(`${i > 0 ? ",\n" : "\n"}${recordJson(table, metas, keys, i)}`);
  }
  if (!lines) sink.write("\n]\n");
  return sink.bytes();
}

/**
 * Writes a table as CSV (RFC 4180), JSON (array of records), JSON Lines, xlsx or Parquet. Datetimes are written
 * in the column's datetime format in text formats and as native dates in xlsx and Parquet.
 */
export async function writeTable(
  table: Table,
  metadata: TableMetadata,
  format: OutputFormat,
  options: WriteOptions = {},
): Promise<Uint8Array> {
  const fmt = outputFormatSchema.safeParse(format);
  if (!fmt.success)
    throw synthError("UNSUPPORTED_FORMAT", `cannot write format ${String(format)}`, { format });
  const parsed = writeOptionsSchema.safeParse(options);
  if (!parsed.success)
    throw synthError("VALIDATION_ERROR", "invalid write options", { issues: parsed.error.issues });
  const opts = parsed.data;
  switch (fmt.data) {
    case "csv":
      return writeCsv(table, metadata, opts);
    case "json":
      return writeJson(table, metadata, false);
    case "jsonl":
      return writeJson(table, metadata, true);
    case "xlsx": {
      const { writeXlsx } = await import("./xlsx-write.ts");
      return writeXlsx(table, metadata, opts);
    }
    case "parquet": {
      const { writeParquet } = await import("./parquet-write.ts");
      return writeParquet(table, metadata);
    }
  }
}
