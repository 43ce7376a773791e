import { describe, expect, it } from "vitest";
import { loadTable } from "./load.ts";
import type { TableMetadata } from "./metadata.ts";
import { fromRows } from "./table.ts";
import { writeTable } from "./write.ts";
import { FILE_FORMATS } from "./formats.ts";

const metadata: TableMetadata = {
  columns: [
    { name: "id", sdtype: "id" },
    { name: "amount", sdtype: "numerical", computerRepresentation: "Float" },
    { name: "count", sdtype: "numerical", computerRepresentation: "Int64" },
    { name: "label", sdtype: "categorical" },
    { name: "when", sdtype: "datetime", datetimeFormat: "%Y-%m-%d %H:%M:%S" },
    { name: "ok", sdtype: "boolean" },
    { name: "note", sdtype: "text" },
  ],
  primaryKey: "id",
};

const table = fromRows(
  metadata.columns.map((c) => c.name),
  [
    [
      "a-1",
      -1234.5678,
      9007199254740991,
      "Zürich",
      new Date(Date.UTC(1999, 11, 31, 23, 59, 58)),
      true,
      'line one\nline two, with "quotes"',
    ],
    ["a-2", 1e15, -42, "日本語", new Date(Date.UTC(2024, 1, 29, 0, 0, 0)), false, "emoji 🎲 and tab\there"],
    ["a-3", null, null, null, null, null, null],
    ["a-4", -0.000123, 0, "naïve café", new Date(Date.UTC(1970, 0, 1, 12, 0, 0)), true, "  padded  "],
    ["a-5", 3.14159, -9007199254740991, "-5", new Date(Date.UTC(2050, 5, 15, 6, 30, 0)), false, "plain"],
  ],
);

describe("read(write(t)) per format", () => {
  for (const format of FILE_FORMATS) {
    it(`${format}: nulls, dates, unicode, large and negative numbers survive`, async () => {
      const bytes = await writeTable(table, metadata, format);
      const back = await loadTable(bytes, { fileName: `t.${format}`, metadata });
      expect(back.format).toBe(format);
      expect(back.table.columns).toEqual(table.columns);
      expect(back.table.data).toEqual(table.data);
      expect(back.warnings).toEqual([]);
    });
  }

  it("infers the same types back from every format without metadata", async () => {
    const bigger = fromRows(
      ["n", "c", "d"],
      Array.from({ length: 40 }, (_, i) => [
        i * 0.25 - 3,
        ["red", "green", "blue"][i % 3],
        new Date(Date.UTC(2020, 0, 1 + i)),
      ]),
    );
    const meta: TableMetadata = {
      columns: [
        { name: "n", sdtype: "numerical", computerRepresentation: "Float", decimals: 2 },
        { name: "c", sdtype: "categorical" },
        { name: "d", sdtype: "datetime", datetimeFormat: "%Y-%m-%d" },
      ],
    };
    for (const format of FILE_FORMATS) {
      const back = await loadTable(await writeTable(bigger, meta, format));
      expect(
        back.metadata.columns.map((c) => c.sdtype),
        format,
      ).toEqual(["numerical", "categorical", "datetime"]);
      expect(back.table.data, format).toEqual(bigger.data);
    }
  });
});
