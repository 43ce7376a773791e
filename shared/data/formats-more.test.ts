import ExcelJS from "exceljs";
import { parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { loadTable, loadTableFromStream } from "./load.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("JSON shapes", () => {
  it("reads records, an array of arrays with a header row, and a wrapped record array alike", async () => {
    const expected = [
      [1, 2, 3],
      ["a", "b", null],
    ];
    const records = await loadTable(enc('[{"n":1,"s":"a"},{"n":2,"s":"b"},{"n":3}]'));
    const arrays = await loadTable(enc('[["n","s"],[1,"a"],[2,"b"],[3,null]]'));
    const wrapped = await loadTable(enc('{"data":[{"n":1,"s":"a"},{"n":2,"s":"b"},{"n":3,"s":null}]}'));
    for (const t of [records, arrays, wrapped]) {
      expect(t.table.columns).toEqual(["n", "s"]);
      expect(t.table.data).toEqual(expected);
    }
  });

  it("keeps nested values as JSON text with a warning, and reads JSON Lines", async () => {
    const nested = await loadTable(enc('[{"a":1,"b":{"x":[1,2]}},{"a":2,"b":null},{"a":3,"b":{"x":[]}}]'));
    expect(nested.table.data[1]).toEqual(['{"x":[1,2]}', null, '{"x":[]}']);
    expect(nested.warnings.map((w) => w.code)).toContain("NESTED_VALUE_STRINGIFIED");
    const lines = await loadTable(enc('{"a":1,"b":true}\n\n{"a":2,"b":false}\r\n{"a":3,"b":true}\n'), {
      fileName: "x.jsonl",
    });
    expect(lines.format).toBe("jsonl");
    expect(lines.table.data).toEqual([
      [1, 2, 3],
      [true, false, true],
    ]);
    expect(lines.metadata.columns[1].sdtype).toBe("boolean");
  });
});

describe("xlsx sheets", () => {
  async function twoSheets(): Promise<Uint8Array> {
    const wb = new ExcelJS.Workbook();
    const first = wb.addWorksheet("first");
    first.addRow(["k", "when"]);
    for (let i = 0; i < 3; i++) first.addRow([`r${i}`, new Date(Date.UTC(2022, 4, i + 1))]);
    const second = wb.addWorksheet("second");
    second.addRow(["x", "formula"]);
    for (let i = 1; i <= 3; i++) second.addRow([i, { formula: `A${i + 1}*2`, result: i * 2 }]);
    return new Uint8Array((await wb.xlsx.writeBuffer()) as ArrayBuffer);
  }

  it("reads the first sheet with a warning, or the named one; dates are dates, formulas their results", async () => {
    const bytes = await twoSheets();
    const first = await loadTable(bytes);
    expect(first.warnings.map((w) => w.code)).toContain("EXTRA_SHEETS_IGNORED");
    expect(first.metadata.columns[1].sdtype).toBe("datetime");
    expect(first.table.data[1][2]).toEqual(new Date(Date.UTC(2022, 4, 3)));
    const second = await loadTable(bytes, { sheet: "second" });
    expect(second.table.data[1]).toEqual([2, 4, 6]);
    await expect(loadTable(bytes, { sheet: "third" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("Parquet", () => {
  it("reads several row groups in order, nulls included", async () => {
    const n = 1000;
    const flat = parquetWriteBuffer({
      columnData: [
        { name: "i", data: Array.from({ length: n }, (_, k) => k), type: "INT32" },
        {
          name: "s",
          data: Array.from({ length: n }, (_, k) => (k % 10 === 0 ? null : `v${k % 7}`)),
          type: "STRING",
        },
      ],
      rowGroupSize: 128,
    });
    const loaded = await loadTable(new Uint8Array(flat));
    expect(loaded.table.data[0]).toEqual(Array.from({ length: n }, (_, k) => k));
    expect(loaded.table.data[1][10]).toBeNull();
    expect(loaded.table.data[1][11]).toBe("v4");
    expect(loaded.table.data[1].filter((v) => v === null)).toHaveLength(100);
  });
});

describe("streams", () => {
  const stream = (parts: string[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of parts) controller.enqueue(enc(p));
        controller.close();
      },
    });

  it("loads a chunked stream and stops reading once past the byte limit", async () => {
    const loaded = await loadTableFromStream(stream(["a,b\n1,x\n", "2,y\n3,", "z\n"]));
    expect(loaded.table.data).toEqual([
      [1, 2, 3],
      ["x", "y", "z"],
    ]);
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(enc("1,2\n".repeat(256)));
      },
    });
    await expect(loadTableFromStream(endless, { limits: { maxFileBytes: 10_000 } })).rejects.toMatchObject({
      code: "FILE_TOO_LARGE",
    });
    expect(pulled).toBeLessThan(20);
  });
});
