import ExcelJS from "exceljs";
import { describe, expect, it, vi } from "vitest";
import { FILE_FORMATS } from "./formats.ts";
import { loadTable } from "./load.ts";
import type { TableMetadata } from "./metadata.ts";
import { fromRows } from "./table.ts";
import { writeTable } from "./write.ts";

// Categories that start like a spreadsheet formula; the first four exist in public census and phone data.
const RISKY = ["-1 year", "-10.000)", "+44", "@home", "=SUM(A1)", "=1+2", "+SUM(A1)", "-cmd", "@x", "safe"];

const metadata: TableMetadata = {
  columns: [
    { name: "category", sdtype: "categorical" },
    { name: "n", sdtype: "numerical", computerRepresentation: "Int64" },
  ],
};
const table = fromRows(
  ["category", "n"],
  Array.from({ length: 30 }, (_, i) => [RISKY[i % RISKY.length], i - 10]),
);

describe("values that look like formulas round-trip exactly by default", () => {
  for (const format of FILE_FORMATS) {
    it(`${format}: read(write(t)) is t, and writing it again gives the same bytes`, async () => {
      const bytes = await writeTable(table, metadata, format);
      const back = await loadTable(bytes, { fileName: `t.${format}`, metadata });
      expect(back.table.data).toEqual(table.data);
      const again = await writeTable(back.table, back.metadata, format);
      expect(again).toEqual(bytes);
      // Inferred rather than declared types read the same categories back.
      const inferred = await loadTable(bytes, { fileName: `t.${format}` });
      expect(inferred.table.data[0]).toEqual(table.data[0]);
    });
  }

  it("xlsx bytes do not depend on when they are written", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(new Date("2024-03-01T10:00:00Z"));
      const first = await writeTable(table, metadata, "xlsx");
      vi.setSystemTime(new Date("2031-07-15T18:30:41Z"));
      expect(await writeTable(table, metadata, "xlsx")).toEqual(first);
    } finally {
      vi.useRealTimers();
    }
  });

  it("CSV holds the values verbatim", async () => {
    const text = new TextDecoder().decode(await writeTable(table, metadata, "csv"));
    expect(text.split("\r\n").slice(1, 6)).toEqual([
      "-1 year,-10",
      "-10.000),-9",
      "+44,-8",
      "@home,-7",
      "=SUM(A1),-6",
    ]);
  });

  it("xlsx writes them as string cells, with no apostrophe and no formula", async () => {
    const bytes = await writeTable(table, metadata, "xlsx");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes.slice().buffer as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.getColumn(1).values.slice(2, 2 + RISKY.length)).toEqual(RISKY);
    ws.eachRow((row, r) =>
      row.eachCell((cell, c) => {
        expect(cell.type).not.toBe(ExcelJS.ValueType.Formula);
        if (c === 1 && r > 1) expect(cell.type).toBe(ExcelJS.ValueType.String);
      }),
    );
  });
});

describe("excelSafe CSV", () => {
  const risky = fromRows(
    ["=name", "n"],
    [
      ["=1+2", 1],
      ["+SUM(A1)", 2],
      ["-cmd", 3],
      ["@x", 4],
      ["\tx", 5],
      ["-12.5", 6],
      ["safe", 7],
    ],
  );
  const meta: TableMetadata = {
    columns: [
      { name: "=name", sdtype: "categorical" },
      { name: "n", sdtype: "numerical" },
    ],
  };

  it("prefixes an apostrophe to formula-like fields and header names, and leaves plain numbers alone", async () => {
    const text = new TextDecoder().decode(await writeTable(risky, meta, "csv", { excelSafe: true }));
    expect(text.split("\r\n").slice(0, 8)).toEqual([
      "'=name,n",
      "'=1+2,1",
      "'+SUM(A1),2",
      "'-cmd,3",
      "'@x,4",
      "'\tx,5",
      "-12.5,6",
      "safe,7",
    ]);
  });

  it("is off by default, and other formats ignore it", async () => {
    const plain = new TextDecoder().decode(await writeTable(risky, meta, "csv"));
    expect(plain).toContain("\r\n=1+2,1\r\n");
    const json = new TextDecoder().decode(await writeTable(risky, meta, "json", { excelSafe: true }));
    expect(json).toContain('"=1+2"');
  });
});
