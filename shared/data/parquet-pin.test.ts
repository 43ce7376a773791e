import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parquetMetadata } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { parquetWriteBuffer } from "hyparquet-writer";

// parquet-read.ts calls hyparquet's internal parquetHeader (its public API reads no page headers) and its page
// checks mirror how that version decodes run-length data. An upgrade must be a decision: re-check those, then
// move the pin. These tests make a drifted install or a moved module fail here, by name, not as odd reads.
const WHY =
  "parquet-read.ts uses hyparquet's internal src/column.js parquetHeader and mirrors its run decoding: " +
  "re-verify those checks against the new version, then update the exact pin in package.json";

function installedHyparquet(): { version: string } {
  let dir = dirname(createRequire(import.meta.url).resolve("hyparquet"));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string };
}

describe("the hyparquet pin", () => {
  it("package.json pins one exact hyparquet version and that version is installed", () => {
    const ours = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const pinned = ours.dependencies.hyparquet;
    expect(pinned, `hyparquet must be pinned exactly, no range: ${WHY}`).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installedHyparquet().version, `installed hyparquet differs from the pin: ${WHY}`).toBe(pinned);
  });

  it("the internal parquetHeader still reads the page headers where the footer says they are", () => {
    const n = 500;
    const file = parquetWriteBuffer({
      columnData: [
        { name: "i", data: Array.from({ length: n }, (_, k) => k), type: "INT32" },
        {
          name: "s",
          data: Array.from({ length: n }, (_, k) => (k % 9 ? `v${k % 5}` : null)),
          type: "STRING",
        },
      ],
    });
    expect(typeof parquetHeader, WHY).toBe("function");
    const meta = parquetMetadata(file);
    for (const chunk of meta.row_groups[0].columns) {
      const md = chunk.meta_data!;
      const start = Number(md.dictionary_page_offset ?? md.data_page_offset);
      const end = start + Number(md.total_compressed_size);
      const reader = { view: new DataView(file), offset: start };
      let values = 0;
      while (reader.offset < end) {
        const header = parquetHeader(reader);
        expect(["DATA_PAGE", "DATA_PAGE_V2", "DICTIONARY_PAGE"], WHY).toContain(header.type);
        expect(header.compressed_page_size, WHY).toBeGreaterThan(0);
        values += header.data_page_header?.num_values ?? header.data_page_header_v2?.num_values ?? 0;
        reader.offset += header.compressed_page_size;
      }
      expect(reader.offset, WHY).toBe(end);
      expect(values, WHY).toBe(Number(md.num_values));
    }
  });
});
