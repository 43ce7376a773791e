import { parquetMetadata, parquetRead, parquetReadObjects, parquetSchema, type ColumnData } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { synthError } from "../errors.ts";
import type { DataLimits } from "./limits.ts";
import { RawColumn } from "./raw-column.ts";
import type { RawRead } from "./load.ts";
import { checkColumnNames } from "./validate.ts";
import type { DataWarning } from "./warnings.ts";

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
    ? bytes.buffer
    : (bytes.slice().buffer as ArrayBuffer);
}

/**
 * Parquet through hyparquet (pure JavaScript, every codec via hyparquet-compressors). The footer is checked
 * against the limits before any page is decompressed: rows, columns, and the declared uncompressed size.
 */
export async function readParquet(bytes: Uint8Array, limits: DataLimits): Promise<RawRead> {
  const file = toArrayBuffer(bytes);
  let meta: ReturnType<typeof parquetMetadata>;
  try {
    meta = parquetMetadata(file);
  } catch (cause) {
    throw synthError("CORRUPT_FILE", `the Parquet file is damaged: ${(cause as Error).message}`, {}, cause);
  }
  const rows = Number(meta.num_rows);
  if (rows > limits.maxRows) {
    throw synthError("TOO_MANY_ROWS", `the table has more than ${limits.maxRows} rows`, {
      maxRows: limits.maxRows,
      rows,
    });
  }
  const schema = parquetSchema(meta);
  const names = schema.children.map((c) => c.element.name);
  if (names.length > limits.maxColumns) {
    throw synthError("TOO_MANY_COLUMNS", `the table has more than ${limits.maxColumns} columns`, {
      maxColumns: limits.maxColumns,
      columns: names.length,
    });
  }
  checkColumnNames(names);
  let uncompressed = 0;
  for (const group of meta.row_groups) {
    for (const chunk of group.columns) uncompressed += Number(chunk.meta_data?.total_uncompressed_size ?? 0);
  }
  if (
    uncompressed > limits.maxUncompressedBytes ||
    uncompressed > bytes.length * limits.maxCompressionRatio + 1_048_576
  ) {
    throw synthError("ZIP_BOMB", "the Parquet file expands to more data than allowed", {
      uncompressedBytes: uncompressed,
      maxUncompressedBytes: limits.maxUncompressedBytes,
    });
  }
  if (rows === 0)
    throw synthError("HEADER_ONLY", "the Parquet file has columns but no rows", { columns: names });
  const columns = names.map((name) => new RawColumn(name, { keepText: true }));
  for (const c of columns) c.reserve(rows);
  const lossy = new Set<string>();
  const nested = new Set<string>();
  const push = (col: RawColumn, v: unknown): void => {
    if (v === null || v === undefined) col.pushNull();
    else if (typeof v === "bigint") {
      if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER))
        col.pushNumber(Number(v), 0, true);
      else {
        lossy.add(col.name);
        col.pushString(v.toString());
      }
    } else if (typeof v === "number") col.pushCell(v);
    else if (typeof v === "string") col.pushText(v);
    else if (typeof v === "boolean") col.pushBoolean(v);
    else if (v instanceof Date) col.pushDate(v);
    else if (v instanceof Uint8Array) col.pushString(new TextDecoder().decode(v));
    else {
      nested.add(col.name);
      col.pushString(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));
    }
  };
  const flat = schema.children.every((c) => c.children.length === 0);
  try {
    if (flat) {
      // Column chunks straight into columns: no row objects, which on a large file cost more than the data.
      const chunks = new Map<string, ColumnData[]>(names.map((n) => [n, []]));
      await parquetRead({
        file,
        compressors,
        metadata: meta,
        onChunk: (chunk) => chunks.get(chunk.columnName)?.push(chunk),
      });
      names.forEach((name, j) => {
        const col = columns[j];
        let next = 0;
        for (const chunk of chunks.get(name)!.sort((x, y) => x.rowStart - y.rowStart)) {
          const data = chunk.columnData;
          for (let r = Math.max(next, chunk.rowStart); r < Math.min(chunk.rowEnd, rows); r++)
            push(col, data[r - chunk.rowStart]);
          next = Math.max(next, Math.min(chunk.rowEnd, rows));
        }
        if (next !== rows) throw new Error(`column ${name} has ${next} of ${rows} rows`);
        chunks.set(name, []);
      });
    } else {
      const records = await parquetReadObjects({ file, compressors, metadata: meta });
      for (const record of records) for (let j = 0; j < names.length; j++) push(columns[j], record[names[j]]);
    }
  } catch (cause) {
    throw synthError("CORRUPT_FILE", `the Parquet file is damaged: ${(cause as Error).message}`, {}, cause);
  }
  const warnings: DataWarning[] = [
    ...[...lossy].map((column) => ({
      code: "PRECISION_LOSS" as const,
      column,
      message: `column ${JSON.stringify(column)} holds integers beyond 2^53; those were kept as text`,
    })),
    ...[...nested].map((column) => ({
      code: "NESTED_VALUE_STRINGIFIED" as const,
      column,
      message: `nested values of column ${JSON.stringify(column)} were kept as JSON text`,
    })),
  ];
  return { columns, warnings };
}
