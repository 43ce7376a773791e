import { parquetWriteBuffer } from "hyparquet-writer";
import type { ColumnMetadata, TableMetadata } from "./metadata.ts";
import type { Cell, Table } from "./table.ts";

type ParquetType = "BOOLEAN" | "INT64" | "DOUBLE" | "STRING" | "TIMESTAMP";

function parquetType(meta: ColumnMetadata | undefined, values: readonly Cell[]): ParquetType {
  switch (meta?.sdtype) {
    case "numerical":
      return meta.computerRepresentation !== undefined &&
        meta.computerRepresentation !== "Float" &&
        values.every((v) => v === null || (typeof v === "number" && Number.isSafeInteger(v)))
        ? "INT64"
        : "DOUBLE";
    case "boolean":
      return "BOOLEAN";
    case "datetime":
      return "TIMESTAMP";
    case "id":
      return values.every((v) => v === null || (typeof v === "number" && Number.isSafeInteger(v)))
        ? "INT64"
        : "STRING";
    default:
      return "STRING";
  }
}

function convert(values: readonly Cell[], type: ParquetType): unknown[] {
  return values.map((v) => {
    if (v === null) return null;
    switch (type) {
      case "INT64":
        return BigInt(v as number);
      case "DOUBLE":
        return typeof v === "number" ? v : Number(v);
      case "BOOLEAN":
        return Boolean(v);
      case "TIMESTAMP":
        return v instanceof Date ? v : new Date(String(v));
      case "STRING":
        return v instanceof Date ? v.toISOString() : String(v);
    }
  });
}

/** Parquet via hyparquet-writer (snappy): integers as INT64, floats as DOUBLE, datetimes as TIMESTAMP (ms). */
export function writeParquet(table: Table, metadata: TableMetadata): Uint8Array {
  const byName = new Map(metadata.columns.map((c) => [c.name, c]));
  const columnData = table.columns.map((name, j) => {
    const type = parquetType(byName.get(name), table.data[j]);
    return { name, type, nullable: true, data: convert(table.data[j], type) };
  });
  return new Uint8Array(parquetWriteBuffer({ columnData } as Parameters<typeof parquetWriteBuffer>[0]));
}
