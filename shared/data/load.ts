import { z } from "zod";
import { isSynthError, synthError } from "../errors.ts";
import { readCsv } from "./csv-read.ts";
import { toUtf8 } from "./encoding.ts";
import { detectFormat, fileFormatSchema, type FileFormat } from "./formats.ts";
import { inferFromRawColumns, type InferOptions } from "./infer.ts";
import { readJson, readJsonLines } from "./json-read.ts";
import { partialDataLimitsSchema, resolveLimits, type DataLimits } from "./limits.ts";
import { materialize, type TextRecovery } from "./materialize.ts";
import { tableMetadataSchema, type ColumnMetadata, type TableMetadata } from "./metadata.ts";
import type { MissingTokenCount } from "./missing.ts";
import type { RawColumn } from "./raw-column.ts";
import type { Table } from "./table.ts";
import type { DataWarning } from "./warnings.ts";

export const loadOptionsSchema = z.object({
  /** Used only to choose between formats the bytes allow, and to refuse a mismatch. */
  fileName: z.string().optional(),
  /** Declared format; the bytes must agree with it. */
  format: fileFormatSchema.optional(),
  /** User metadata: overrides inference for the columns it names (others are inferred). */
  metadata: tableMetadataSchema.optional(),
  /** xlsx: the sheet to read (default: the first). */
  sheet: z.string().optional(),
  /** Text encoding of CSV/JSON when not UTF-8 (e.g. "windows-1252"). */
  encoding: z.string().optional(),
  limits: partialDataLimitsSchema.optional(),
  /** CSV: the delimiter, when detection should be bypassed. */
  delimiter: z.enum([",", ";", "\t", "|"]).optional(),
});
export type LoadOptions = z.input<typeof loadOptionsSchema> & { inference?: InferOptions };

export interface LoadedTable {
  table: Table;
  metadata: TableMetadata;
  format: FileFormat;
  warnings: DataWarning[];
  /** Per column (only those with any): the tokens read as missing and how often; profileTable reports them. */
  missingTokens: Map<string, MissingTokenCount[]>;
}

/** What a format reader hands back: raw columns, warnings, and a way to re-read text where it can. */
export interface RawRead {
  columns: RawColumn[];
  warnings: DataWarning[];
  recoverText?: TextRecovery;
}

async function readRaw(
  bytes: Uint8Array,
  format: FileFormat,
  opts: z.output<typeof loadOptionsSchema>,
  limits: DataLimits,
): Promise<RawRead> {
  switch (format) {
    case "csv": {
      const utf8 = toUtf8(bytes, opts.encoding);
      return readCsv(utf8.bytes, limits, opts.delimiter);
    }
    case "json":
      return readJson(toUtf8(bytes, opts.encoding).bytes, limits);
    case "jsonl":
      return readJsonLines(toUtf8(bytes, opts.encoding).bytes, limits);
    case "xlsx": {
      const { readXlsx } = await import("./xlsx-read.ts");
      return readXlsx(bytes, limits, opts.sheet);
    }
    case "parquet": {
      const { readParquet } = await import("./parquet-read.ts");
      return readParquet(bytes, limits);
    }
  }
}

/** User metadata for the columns it names, inference for the rest; a named column that is absent is an error. */
function mergeMetadata(inferred: TableMetadata, user: TableMetadata | undefined): TableMetadata {
  if (user === undefined) return inferred;
  const names = new Set(inferred.columns.map((c) => c.name));
  for (const c of user.columns) {
    if (!names.has(c.name)) {
      throw synthError(
        "UNKNOWN_COLUMN",
        `the metadata names column ${JSON.stringify(c.name)}, which the file does not have`,
        {
          column: c.name,
          available: [...names].slice(0, 50),
        },
      );
    }
  }
  const given = new Map<string, ColumnMetadata>(user.columns.map((c) => [c.name, c]));
  const columns = inferred.columns.map((c) => given.get(c.name) ?? c);
  const primaryKey = user.primaryKey ?? (given.size === 0 ? inferred.primaryKey : undefined);
  return primaryKey === undefined ? { columns } : { columns, primaryKey };
}

/**
 * Reads a table from bytes: detects the format from its magic bytes, reads it within the limits, infers SDV-style
 * column metadata (user metadata overrides), and returns typed cells. Every refusal is a SynthError with a code
 * and, where it applies, the row and column.
 */
export async function loadTable(input: Uint8Array, options: LoadOptions = {}): Promise<LoadedTable> {
  const parsed = loadOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw synthError("VALIDATION_ERROR", "invalid load options", { issues: parsed.error.issues });
  }
  const opts = parsed.data;
  const limits = resolveLimits(opts.limits);
  if (input.length > limits.maxFileBytes) {
    throw synthError(
      "FILE_TOO_LARGE",
      `the file is larger than the limit of ${Math.round(limits.maxFileBytes / 1048576)} MB`,
      {
        bytes: input.length,
        maxFileBytes: limits.maxFileBytes,
      },
    );
  }
  const format = detectFormat(input, opts.fileName, opts.format);
  let raw: RawRead;
  try {
    raw = await readRaw(input, format, opts, limits);
  } catch (error) {
    if (isSynthError(error)) throw error;
    if (
      error instanceof RangeError &&
      /call stack|Invalid array length|Invalid string length/i.test(error.message)
    ) {
      throw synthError(
        "CORRUPT_FILE",
        `the ${format} file could not be read: ${error.message}`,
        { format },
        error,
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    throw synthError("CORRUPT_FILE", `the ${format} file could not be read: ${message}`, { format }, error);
  }
  const rows = raw.columns[0]?.length ?? 0;
  if (rows === 0) {
    throw synthError("HEADER_ONLY", "the file has column names but no data rows", {
      columns: raw.columns.map((c) => c.name).slice(0, 50),
    });
  }
  // Declared missing values decide before inference sees the columns; the others follow the rule in missing.ts.
  const declared = new Map<string, readonly string[] | undefined>(
    opts.metadata?.columns.map((c) => [c.name, c.missingValues]) ?? [],
  );
  for (const c of raw.columns) c.resolveMissingTokens(declared.get(c.name));
  const missingTokens = new Map<string, MissingTokenCount[]>();
  for (const c of raw.columns)
    if (c.missingTokens.size > 0) missingTokens.set(c.name, c.missingTokenCounts());
  const inferred = inferFromRawColumns(raw.columns, options.inference);
  const metadata = mergeMetadata(inferred.metadata, opts.metadata);
  const userNamed = new Set(opts.metadata?.columns.map((c) => c.name) ?? []);
  const inferenceWarnings = inferred.warnings.filter(
    (w) => w.column === undefined || !userNamed.has(w.column) || w.code === "ALL_NULL_COLUMN",
  );
  const { table, warnings } = materialize(raw.columns, metadata, raw.recoverText);
  return {
    table,
    metadata,
    format,
    warnings: [...raw.warnings, ...inferenceWarnings, ...warnings],
    missingTokens,
  };
}

/**
 * Reads a stream (an upload, a storage download) chunk by chunk, refusing it with FILE_TOO_LARGE as soon as it
 * passes the byte limit rather than after buffering all of it, then loads the table.
 */
export async function loadTableFromStream(
  stream: ReadableStream<Uint8Array>,
  options: LoadOptions = {},
): Promise<LoadedTable> {
  const limits = resolveLimits(options.limits);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limits.maxFileBytes) {
        await reader.cancel();
        throw synthError(
          "FILE_TOO_LARGE",
          `the file is larger than the limit of ${Math.round(limits.maxFileBytes / 1048576)} MB`,
          { bytesRead: total, maxFileBytes: limits.maxFileBytes },
        );
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = chunks.length === 1 ? chunks[0] : new Uint8Array(total);
  if (chunks.length !== 1) {
    let o = 0;
    for (const c of chunks) {
      bytes.set(c, o);
      o += c.length;
    }
  }
  return loadTable(bytes, options);
}
