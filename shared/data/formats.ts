import { z } from "zod";
import { synthError } from "../errors.ts";

export const FILE_FORMATS = ["csv", "json", "jsonl", "xlsx", "parquet"] as const;
export const fileFormatSchema = z.enum(FILE_FORMATS);
export type FileFormat = z.infer<typeof fileFormatSchema>;

export const OUTPUT_FORMATS = FILE_FORMATS;
export const outputFormatSchema = fileFormatSchema;
export type OutputFormat = FileFormat;

const EXTENSIONS: Record<string, FileFormat> = {
  csv: "csv",
  tsv: "csv",
  txt: "csv",
  json: "json",
  jsonl: "jsonl",
  ndjson: "jsonl",
  xlsx: "xlsx",
  xlsm: "xlsx",
  parquet: "parquet",
  pq: "parquet",
};

export const MEDIA_TYPES: Record<FileFormat, string> = {
  csv: "text/csv",
  json: "application/json",
  jsonl: "application/x-ndjson",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  parquet: "application/vnd.apache.parquet",
};

export function formatFromFileName(fileName: string | undefined): FileFormat | undefined {
  if (fileName === undefined) return undefined;
  const dot = fileName.lastIndexOf(".");
  if (dot < 0) return undefined;
  const ext = fileName.slice(dot + 1).toLowerCase();
  // Own keys only: "x.constructor" must not find Object.prototype.constructor.
  return Object.hasOwn(EXTENSIONS, ext) ? EXTENSIONS[ext] : undefined;
}

/** What the bytes are, from their magic numbers; "text" is anything that may be CSV or JSON. */
export type SniffedKind = "zip" | "parquet" | "json" | "jsonl" | "text" | "binary" | "empty";

const startsWith = (bytes: Uint8Array, magic: readonly number[]): boolean =>
  bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

const ZIP_MAGICS = [
  [0x50, 0x4b, 0x03, 0x04],
  [0x50, 0x4b, 0x05, 0x06],
  [0x50, 0x4b, 0x07, 0x08],
];
const PAR1 = [0x50, 0x41, 0x52, 0x31];
/** Other containers users send by mistake: gzip, OLE2 (legacy .xls), PDF, 7z, rar, bzip2. */
const OTHER_BINARY = [
  [0x1f, 0x8b],
  [0xd0, 0xcf, 0x11, 0xe0],
  [0x25, 0x50, 0x44, 0x46],
  [0x37, 0x7a, 0xbc, 0xaf],
  [0x52, 0x61, 0x72, 0x21],
  [0x42, 0x5a, 0x68],
];

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

export function sniffBytes(bytes: Uint8Array): SniffedKind {
  if (bytes.length === 0) return "empty";
  if (ZIP_MAGICS.some((m) => startsWith(bytes, m))) return "zip";
  if (startsWith(bytes, PAR1)) return "parquet";
  if (OTHER_BINARY.some((m) => startsWith(bytes, m))) return "binary";
  let i = 0;
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) i = 3;
  else if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) return "text";
  while (i < bytes.length && isWhitespace(bytes[i])) i++;
  if (i === bytes.length) return "empty";
  const first = bytes[i];
  if (first === 0x5b) return "json"; // [
  if (first === 0x7b) {
    // { : one object (a JSON document) or one object per line (JSON Lines)
    const end = Math.min(bytes.length, 1 << 20);
    let depth = 0;
    let inString = false;
    for (let k = i; k < end; k++) {
      const b = bytes[k];
      if (inString) {
        if (b === 0x5c) k++;
        else if (b === 0x22) inString = false;
      } else if (b === 0x22) inString = true;
      else if (b === 0x7b || b === 0x5b) depth++;
      else if (b === 0x7d || b === 0x5d) {
        depth--;
        if (depth === 0) {
          let m = k + 1;
          while (m < end && (bytes[m] === 0x20 || bytes[m] === 0x09 || bytes[m] === 0x0d)) m++;
          return m < end && bytes[m] === 0x0a ? "jsonl" : "json";
        }
      }
    }
    return "json";
  }
  // Control bytes other than whitespace in the first KiB: not a text table.
  const end = Math.min(bytes.length, 1024);
  let control = 0;
  for (let k = 0; k < end; k++) {
    const b = bytes[k];
    if (b === 0 || (b < 0x20 && !isWhitespace(b) && b !== 0x0c)) control++;
  }
  if (control > 0) return "binary";
  return "text";
}

/**
 * The format to read: the bytes decide, the declared format or file name only choose between what the bytes allow.
 * A declared text format whose bytes are a container (a ".csv" that is really a zip) is refused, since guessing
 * there hides a user's mistake and hands untrusted bytes to the wrong parser.
 */
export function detectFormat(bytes: Uint8Array, fileName?: string, declared?: FileFormat): FileFormat {
  const claimed = declared ?? formatFromFileName(fileName);
  const kind = sniffBytes(bytes);
  const mismatch = (actual: string): never => {
    throw synthError("FORMAT_MISMATCH", `the file is declared as ${claimed} but its content is ${actual}`, {
      declared: claimed,
      detected: actual,
      ...(fileName ? { fileName } : {}),
    });
  };
  switch (kind) {
    case "empty":
      throw synthError("EMPTY_FILE", "the file is empty", fileName ? { fileName } : {});
    case "binary":
      if (claimed !== undefined) mismatch("binary data");
      throw synthError(
        "UNSUPPORTED_FORMAT",
        "the file is binary data of an unsupported kind (supported: CSV, JSON, JSON Lines, xlsx, Parquet)",
        fileName ? { fileName } : {},
      );
    case "zip":
      if (claimed !== undefined && claimed !== "xlsx") mismatch("a zip archive");
      return "xlsx";
    case "parquet":
      if (claimed !== undefined && claimed !== "parquet") mismatch("Parquet");
      return "parquet";
    case "json":
    case "jsonl":
      if (claimed === "xlsx" || claimed === "parquet") mismatch("JSON text");
      if (claimed === "json" || claimed === "jsonl") return claimed;
      // A CSV cannot start with "[" or "{" in practice; trust the bytes over a .csv name.
      return kind;
    case "text":
      if (claimed === "xlsx" || claimed === "parquet") mismatch("text");
      if (claimed === "json" || claimed === "jsonl") return claimed;
      return "csv";
  }
}
