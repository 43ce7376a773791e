import { describe, expect, it } from "vitest";
import { isSynthError } from "../errors.ts";
import { loadTable } from "./load.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const load = (s: string | Uint8Array, opts = {}) =>
  loadTable(typeof s === "string" ? enc(s) : s, { fileName: "t.csv", ...opts });

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "no error";
  } catch (e) {
    return isSynthError(e) ? e.code : String(e);
  }
}

describe("CSV reading", () => {
  it.each([
    [",", "a,b,c\n1,x,2.5\n2,y,3.5\n3,z,4.5\n"],
    [";", "a;b;c\n1;x;2,5\n2;y;3,5\n3;z;4,5\n"],
    ["\t", "a\tb\tc\n1\tx, y\t2.5\n2\ty\t3.5\n3\tz\t4.5\n"],
    ["|", "a|b|c\n1|x|2.5\n2|y|3.5\n3|z|4.5\n"],
  ])("detects the %j delimiter", async (_d, text) => {
    const { table } = await load(text);
    expect(table.columns).toEqual(["a", "b", "c"]);
    expect(table.data[0]).toEqual([1, 2, 3]);
  });

  it("reads decimal commas in semicolon files, keeping their text when a column becomes categorical", async () => {
    const { table, metadata } = await load("a;b;c\n1,5;x;0,5\n-2,25;y;1,0\n3;z;0,5\n");
    expect(metadata.columns.map((m) => m.sdtype)).toEqual(["numerical", "categorical", "categorical"]);
    expect(table.data[0]).toEqual([1.5, -2.25, 3]);
    expect(table.data[2]).toEqual(["0,5", "1,0", "0,5"]);
    // With a comma delimiter, "1,5" is two fields, never a number.
    expect((await load('a,b\n"1,5",x\n"2,5",y\n"3,5",z\n')).table.data[0]).toEqual(["1,5", "2,5", "3,5"]);
  });

  it("handles quotes, doubled quotes, embedded delimiters and line breaks, BOM and CRLF", async () => {
    const text = '\uFEFFid,note\r\n1,"hello, ""world"""\r\n2,"two\r\nlines"\r\n3,plain\r\n';
    const { table, warnings } = await load(text);
    expect(table.columns).toEqual(["id", "note"]);
    expect(table.data[1]).toEqual(['hello, "world"', "two\r\nlines", "plain"]);
    expect(warnings.map((w) => w.code)).not.toContain("MIXED_NEWLINES");
  });

  it("reads a declared legacy encoding and refuses undeclared invalid UTF-8 with its location", async () => {
    const latin1 = new Uint8Array([
      ...enc("name,city\n1,"),
      0x4d,
      0xfc,
      0x6e,
      0x63,
      0x68,
      0x65,
      0x6e,
      ...enc("\n2,Z\xfcrich\n".replace("\xfc", "u")),
    ]);
    const { table } = await load(latin1, { encoding: "windows-1252" });
    expect(table.data[1][0]).toBe("München");
    try {
      await load(latin1);
      expect.unreachable();
    } catch (e) {
      expect(isSynthError(e, "INVALID_ENCODING")).toBe(true);
      expect((e as { details: unknown }).details).toMatchObject({ row: 1, column: "city" });
    }
  });

  it("keeps leading missing cells missing in number, text and all-missing columns", async () => {
    const { table } = await load("f,i,s,e,m\n,,,,1.5\nNA,,,,x\n2.5,3,a,,\n1.25,4,b,,7\n0.5,5,c,,\n");
    expect(table.data).toEqual([
      [null, null, 2.5, 1.25, 0.5],
      [null, null, 3, 4, 5],
      [null, null, "a", "b", "c"],
      [null, null, null, null, null],
      ["1.5", "x", null, "7", null],
    ]);
  });

  it("recognises the missing-value tokens", async () => {
    const { table } = await load('a,b\n1,""\n2,NA\n3,N/A\n4,null\n5,NaN\n6,None\n7,x\n8,y\n');
    expect(table.data[1]).toEqual([null, null, null, null, null, null, "x", "y"]);
  });

  it("keeps codes with leading zeros as text and numbers' exact text when they become categories", async () => {
    const { table, metadata } = await load("zip,flag,price\n02134,1.50,1.0\n10001,2.0,2.25\n00501,1.50,3\n");
    expect(metadata.columns.map((c) => c.sdtype)).toEqual(["categorical", "categorical", "numerical"]);
    expect(table.data[0]).toEqual(["02134", "10001", "00501"]);
    // Two distinct numbers make a category; its labels are the text as written, not String(1.5).
    expect(table.data[1]).toEqual(["1.50", "2.0", "1.50"]);
    expect(table.data[2]).toEqual([1, 2.25, 3]);
  });

  it("reads quoted and padded numbers as numbers, exponent notation too", async () => {
    const { table, metadata } = await load('a,b\n"1.5", 7\n"2.5",-1e3\n"3.25",+4\n');
    expect(metadata.columns[0]).toMatchObject({
      sdtype: "numerical",
      computerRepresentation: "Float",
      decimals: 2,
    });
    expect(table.data[0]).toEqual([1.5, 2.5, 3.25]);
    expect(table.data[1]).toEqual([7, -1000, 4]);
  });

  it("parses long and negative decimals exactly as Number() does", async () => {
    const values = [
      "-0.1",
      "123456789.123456",
      "0.30000000000000004",
      "-98765.4321",
      "1e-7",
      "9007199254740993",
    ];
    const { table } = await load(`v\n${values.join("\n")}\n`);
    expect(table.data[0]).toEqual(values.map(Number));
  });

  it("honours an Excel sep= line and skips blank lines", async () => {
    const { table } = await load("sep=;\na;b\n1;2\n\n3;4\n\n5;6\n");
    expect(table.data).toEqual([
      [1, 3, 5],
      [2, 4, 6],
    ]);
  });

  it("reports every ragged row, header-only files and empty names", async () => {
    expect(await code(load("a,b\n1,2\n3\n4,5,6\n"))).toBe("RAGGED_ROW");
    expect(await code(load("a,b\r\n"))).toBe("HEADER_ONLY");
    expect(await code(load(" ,b\n1,2\n"))).toBe("EMPTY_COLUMN_NAME");
    expect(await code(load("a,a\n1,2\n"))).toBe("DUPLICATE_COLUMN_NAME");
  });

  it("applies the row, column and field limits", async () => {
    expect(await code(load("a,b\n1,2\n3,4\n5,6\n", { limits: { maxRows: 2 } }))).toBe("TOO_MANY_ROWS");
    expect(await code(load("a,b,c\n1,2,3\n", { limits: { maxColumns: 2 } }))).toBe("TOO_MANY_COLUMNS");
    expect(await code(load("a,b\n1,abcdefghijk\n", { limits: { maxFieldBytes: 10 } }))).toBe(
      "FIELD_TOO_LARGE",
    );
  });
});
