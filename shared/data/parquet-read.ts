import {
  parquetMetadata,
  parquetRead,
  parquetReadObjects,
  parquetSchema,
  snappyUncompress,
  type ColumnData,
  type CompressionCodec,
  type FileMetaData,
  type SchemaTree,
} from "hyparquet";
// The one function we take from outside hyparquet's documented API: its public API reads no page headers. The
// page checks below also mirror how this version decodes runs, so package.json pins hyparquet exactly, and
// parquet-pin.test.ts fails when the installed version differs from the pin or this module moves.
import { parquetHeader } from "hyparquet/src/column.js";
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
 * The footer must agree with itself before hyparquet reads pages: every row group has one chunk per schema leaf,
 * each naming a leaf of the schema and lying inside the file, and the groups' rows add up. A chunk naming no
 * schema column is skipped by hyparquet's assembly while its read still runs, and a failure there escapes as an
 * unhandled promise rejection, which would end the process: so such a file is refused here, as damaged.
 */
function checkLayout(meta: FileMetaData, schema: SchemaTree, fileBytes: number, rows: number): void {
  const leaves = new Set<string>();
  const walk = (node: SchemaTree, path: string[]): void => {
    if (node.children.length === 0) leaves.add(path.join("\u0000"));
    for (const child of node.children) walk(child, [...path, child.element.name]);
  };
  for (const child of schema.children) walk(child, [child.element.name]);
  let total = 0;
  meta.row_groups.forEach((group, g) => {
    total += Number(group.num_rows);
    const seen = new Set<string>();
    for (const chunk of group.columns) {
      const md = chunk.meta_data;
      const key = md?.path_in_schema.join("\u0000");
      const start = Number(md?.dictionary_page_offset ?? md?.data_page_offset ?? -1);
      const end = start + Number(md?.total_compressed_size ?? 0);
      if (
        md === undefined ||
        key === undefined ||
        !leaves.has(key) ||
        seen.has(key) ||
        start < 0 ||
        end > fileBytes
      ) {
        throw synthError(
          "CORRUPT_FILE",
          "the Parquet file is damaged: its footer does not match its columns",
          {
            rowGroup: g,
            column: md?.path_in_schema.join("."),
          },
        );
      }
      seen.add(key);
    }
    if (seen.size !== leaves.size) {
      throw synthError("CORRUPT_FILE", "the Parquet file is damaged: a row group lacks some columns", {
        rowGroup: g,
      });
    }
  });
  if (total !== rows) {
    throw synthError(
      "CORRUPT_FILE",
      "the Parquet file is damaged: row groups do not add up to the row count",
      {
        rows,
        rowGroupRows: total,
      },
    );
  }
}

/**
 * Walks an RLE/bit-packed hybrid run sequence the way hyparquet decodes it and refuses runs it would mishandle:
 * hyparquet writes an RLE run without checking it against the output's length (a damaged count of 144 million
 * grows the array until V8 aborts the whole process) and loops on a negative bit-packed count. True if sound.
 */
function hybridRunsSound(
  view: DataView,
  offset: number,
  bitWidth: number,
  outLen: number,
  length?: number,
): boolean {
  let p = offset;
  if (length === undefined) {
    if (p + 4 > view.byteLength) return false;
    length = view.getUint32(p, true);
    p += 4;
  }
  const end = Math.min(view.byteLength, p + length);
  let seen = 0;
  while (seen < outLen) {
    if (p >= end) return true; // hyparquet then fails with a range error, which is caught
    let header = 0;
    let shift = 0;
    for (;;) {
      if (p >= view.byteLength || shift > 28) return false;
      const b = view.getUint8(p++);
      header |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7;
    }
    if (header & 1) {
      const count = (header >> 1) << 3; // hyparquet's arithmetic, overflow included
      if (count < 0 || count > outLen - seen + 7) return false;
      seen += Math.min(count, outLen - seen);
      p += Math.ceil((count * bitWidth) / 8);
    } else {
      const count = header >>> 1;
      if (count > outLen - seen) return false;
      seen += count;
      p += (bitWidth + 7) >> 3;
    }
  }
  return true;
}

const bitWidthOf = (value: number): number => 32 - Math.clz32(value);

/** The schema nodes from the root to a column's leaf (checkLayout has made sure the leaf exists). */
function schemaPath(root: SchemaTree, names: readonly string[]): SchemaTree[] {
  const path = [root];
  let node = root;
  for (const name of names) {
    node = node.children.find((child) => child.element.name === name)!;
    path.push(node);
  }
  return path;
}

/** Repetition and definition levels as the Dremel encoding counts them (the root included in the first). */
const maxRepetitionLevel = (path: readonly SchemaTree[]): number =>
  path.filter((node) => node.element.repetition_type === "REPEATED").length;
const maxDefinitionLevel = (path: readonly SchemaTree[]): number =>
  path.slice(1).filter((node) => node.element.repetition_type !== "REQUIRED").length;

/** A page's bytes decompressed, refusing a result of another size than the header declares. */
function decompressPage(bytes: Uint8Array, size: number, codec: CompressionCodec): Uint8Array {
  let page: Uint8Array;
  const decompress = compressors[codec];
  if (codec === "UNCOMPRESSED") page = bytes;
  else if (decompress) page = decompress(bytes, size);
  else if (codec === "SNAPPY") {
    page = new Uint8Array(size);
    snappyUncompress(bytes, page);
  } else throw new Error(`parquet unsupported compression codec: ${codec}`);
  if (page?.length !== size) {
    throw new Error(`parquet decompressed page length ${page?.length} does not match header ${size}`);
  }
  return page;
}

/** Levels and RLE-coded values of one data page (decompressing where needed); true if hyparquet can decode them. */
function pageRunsSound(
  page: Uint8Array,
  header: ReturnType<typeof parquetHeader>,
  pageView: DataView,
  maxRep: number,
  maxDef: number,
  type: string | undefined,
  codec: CompressionCodec,
): boolean {
  const v2 = header.data_page_header_v2;
  const v1 = header.data_page_header;
  if (v2 !== undefined) {
    const rlen = v2.repetition_levels_byte_length;
    const dlen = v2.definition_levels_byte_length;
    if (maxRep > 0 && !hybridRunsSound(pageView, 0, bitWidthOf(maxRep), v2.num_values, rlen)) return false;
    if (maxDef > 0 && !hybridRunsSound(pageView, rlen, bitWidthOf(maxDef), v2.num_values, dlen)) return false;
    const rle =
      v2.encoding === "RLE" || v2.encoding === "RLE_DICTIONARY" || v2.encoding === "PLAIN_DICTIONARY";
    if (!rle) return true;
    const size = header.uncompressed_page_size - rlen - dlen;
    let values = page.subarray(rlen + dlen);
    if (v2.is_compressed !== false && size) values = decompressPage(values, size, codec);
    const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
    const n = v2.num_values - v2.num_nulls;
    if (v2.encoding === "RLE") return hybridRunsSound(view, 0, 1, n);
    return view.byteLength === 0 || hybridRunsSound(view, 1, view.getUint8(0), n, view.byteLength - 1);
  }
  if (v1 === undefined) return true;
  const data = decompressPage(page, header.uncompressed_page_size, codec);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let p = 0;
  for (const max of [maxRep, maxDef]) {
    if (max === 0) continue;
    if (!hybridRunsSound(view, p, bitWidthOf(max), v1.num_values)) return false;
    p += 4 + view.getUint32(p, true);
  }
  if (v1.encoding === "RLE" || v1.encoding === "RLE_DICTIONARY" || v1.encoding === "PLAIN_DICTIONARY") {
    if (type === "BOOLEAN") return hybridRunsSound(view, p, 1, v1.num_values);
    if (p >= view.byteLength) return true;
    const width = view.getUint8(p);
    return width === 0 || hybridRunsSound(view, p + 1, width, v1.num_values, view.byteLength - p - 1);
  }
  return true;
}

/**
 * Walks every page header of every column chunk and checks it against the footer: pages stay inside their chunk,
 * no page claims more values than its row group has rows (hyparquet sizes its level arrays from that claim: a
 * damaged count of a billion turns into minutes of CPU), the data pages' values add up to the chunk's, no page
 * expands beyond the limit, and each data page's run-length data is one hyparquet can decode (pageRunsSound).
 */
function checkPages(
  file: ArrayBuffer,
  meta: FileMetaData,
  schema: SchemaTree,
  flat: boolean,
  limits: DataLimits,
): void {
  const view = new DataView(file);
  meta.row_groups.forEach((group, g) => {
    const groupRows = Number(group.num_rows);
    for (const chunk of group.columns) {
      const md = chunk.meta_data!;
      const column = md.path_in_schema.join(".");
      const fail = (why: string): never => {
        throw synthError("CORRUPT_FILE", `the Parquet file is damaged: ${why}`, { rowGroup: g, column });
      };
      let offset = Number(md.dictionary_page_offset ?? md.data_page_offset);
      const end = offset + Number(md.total_compressed_size);
      let values = 0;
      const path = schemaPath(schema, md.path_in_schema);
      const maxRep = maxRepetitionLevel(path);
      const maxDef = maxDefinitionLevel(path);
      while (offset < end) {
        const reader = { view, offset };
        let header: ReturnType<typeof parquetHeader>;
        try {
          header = parquetHeader(reader);
        } catch {
          return fail("a page header cannot be read");
        }
        const compressed = header.compressed_page_size;
        const pageValues = header.data_page_header?.num_values ?? header.data_page_header_v2?.num_values;
        if (!Number.isInteger(compressed) || compressed < 0 || reader.offset + compressed > end) {
          fail("a page runs past its column chunk");
        }
        if (
          !(header.uncompressed_page_size >= 0) ||
          header.uncompressed_page_size > limits.maxUncompressedBytes
        ) {
          fail("a page declares an impossible size");
        }
        const v2 = header.data_page_header_v2;
        if (v2 !== undefined) {
          // Both lengths are required by the format; a missing one becomes NaN offsets in hyparquet, which then
          // re-reads byte 0 forever.
          const levels = [v2.definition_levels_byte_length, v2.repetition_levels_byte_length];
          if (!levels.every((n) => Number.isInteger(n) && n >= 0) || levels[0] + levels[1] > compressed) {
            fail("a page's level lengths are missing or impossible");
          }
          if (!(Number.isInteger(v2.num_nulls) && v2.num_nulls >= 0 && v2.num_nulls <= v2.num_values)) {
            fail("a page's null count is impossible");
          }
        }
        if (pageValues !== undefined) {
          if (!(pageValues >= 0) || (flat && pageValues > groupRows))
            fail("a page claims more values than rows");
          values += pageValues;
        }
        if (header.data_page_header !== undefined || v2 !== undefined) {
          const page = new Uint8Array(file, reader.offset, compressed);
          const pageView = new DataView(file, reader.offset, compressed);
          let sound: boolean;
          try {
            sound = pageRunsSound(page, header, pageView, maxRep, maxDef, md.type, md.codec);
          } catch {
            sound = false;
          }
          if (!sound) fail("a page's run-length data is damaged");
        }
        offset = reader.offset + compressed;
      }
      if (values !== Number(md.num_values)) fail("the pages' values do not add up to the column's");
    }
  });
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
  checkLayout(meta, schema, bytes.length, rows);
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
  checkPages(file, meta, schema, flat, limits);
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
