import { describe, expect, it } from "vitest";
import { inferMetadata, inferMetadataWithWarnings } from "./infer.ts";
import { loadTable } from "./load.ts";
import { fromRows } from "./table.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const csv = (header: string, rows: string[]) =>
  loadTable(enc(`${header}\n${rows.join("\n")}\n`), { fileName: "t.csv" });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("type inference", () => {
  it("numerical with representation and decimals; 0/1 flags categorical; constant flagged", async () => {
    const { metadata, warnings } = await csv(
      "int,float,flag,const",
      range(20).map((i) => `${i * 3},${(i / 8).toFixed(3)},${i % 2},7`),
    );
    expect(metadata.columns).toEqual([
      { name: "int", sdtype: "numerical", computerRepresentation: "Int64" },
      { name: "float", sdtype: "numerical", computerRepresentation: "Float", decimals: 3 },
      { name: "flag", sdtype: "categorical" },
      { name: "const", sdtype: "categorical", constant: true },
    ]);
    expect(warnings).toContainEqual(expect.objectContaining({ code: "CONSTANT_COLUMN", column: "const" }));
  });

  it("booleans, datetimes with their format, and day-first dates told apart", async () => {
    const { metadata, table } = await csv(
      "b,iso,dmy,mdy,ts",
      range(12).map(
        (i) =>
          `${i % 3 ? "true" : "False"},2021-03-${String(i + 1).padStart(2, "0")},${13 + i}/04/2020,04/${10 + i}/2020,2021-01-01T10:${String(i).padStart(2, "0")}:00Z`,
      ),
    );
    expect(metadata.columns.map((c) => [c.sdtype, c.datetimeFormat])).toEqual([
      ["boolean", undefined],
      ["datetime", "%Y-%m-%d"],
      ["datetime", "%d/%m/%Y"],
      ["datetime", "%m/%d/%Y"],
      ["datetime", "%Y-%m-%dT%H:%M:%S%z"],
    ]);
    expect(table.data[0].slice(0, 3)).toEqual([false, true, true]);
    expect(table.data[2][0]).toEqual(new Date(Date.UTC(2020, 3, 13)));
    expect(table.data[3][0]).toEqual(new Date(Date.UTC(2020, 3, 10)));
    expect(table.data[4][1]).toEqual(new Date(Date.UTC(2021, 0, 1, 10, 1)));
  });

  it("ids (unique keys, and unique integers named like ids), free text, and the primary key", async () => {
    const sentences = ["the quick brown fox jumps over it", "a rather long remark about service quality"];
    const { metadata } = await csv(
      "customer_id,code,comment,score",
      range(30).map(
        (i) => `${1000 + i},C-${i.toString(36).padStart(4, "0")},"${sentences[i % 2]} number ${i}",${i % 7}`,
      ),
    );
    expect(metadata.columns.map((c) => c.sdtype)).toEqual(["id", "id", "text", "numerical"]);
    expect(metadata.primaryKey).toBe("customer_id");
  });

  it("flags personal data by content and by name", async () => {
    const { metadata } = await csv(
      "email,phone,first_name,ip,city",
      range(20).map(
        (i) =>
          `user${i}@example.org,+1 (555) 010-${String(1000 + i)},Name${i},10.0.0.${i},${["Paris", "Rome"][i % 2]}`,
      ),
    );
    expect(metadata.columns.map((c) => c.pii)).toEqual(["email", "phone", "name", "ip_address", undefined]);
  });

  it("warns about mixed types with examples and rows, and about all-null columns", async () => {
    const { metadata, warnings } = await csv(
      "v,empty",
      range(20).map((i) => `${i === 5 ? "n/a?" : i},`),
    );
    expect(metadata.columns[0].sdtype).toBe("categorical");
    const mixed = warnings.find((w) => w.code === "MIXED_TYPES")!;
    expect(mixed.column).toBe("v");
    expect(mixed.examples).toContain("n/a?");
    expect(mixed.rows).toContain(6);
    expect(warnings).toContainEqual(expect.objectContaining({ code: "ALL_NULL_COLUMN", column: "empty" }));
  });

  it("infers in-memory tables the way it infers files", () => {
    const table = fromRows(
      ["n", "s", "d", "b"],
      range(12).map((i) => [i * 1.5, `cat${i % 3}`, new Date(Date.UTC(2020, 0, i + 1)), i % 2 === 0]),
    );
    expect(inferMetadata(table).columns.map((c) => c.sdtype)).toEqual([
      "numerical",
      "categorical",
      "datetime",
      "boolean",
    ]);
    const numericText = fromRows(
      ["x"],
      range(12).map((i) => [String(i * 2)]),
    );
    expect(inferMetadataWithWarnings(numericText).metadata.columns[0].sdtype).toBe("numerical");
  });
});

describe("user metadata", () => {
  const text = "a,b,c\n1,x,2020-01-01\n2,y,2020-01-02\n3,zz,bad\n";
  it("overrides inference per column and reports values that do not fit", async () => {
    const { metadata, table, warnings } = await loadTable(enc(text), {
      metadata: {
        columns: [
          { name: "a", sdtype: "categorical" },
          { name: "c", sdtype: "datetime", datetimeFormat: "%Y-%m-%d" },
        ],
      },
    });
    expect(metadata.columns.map((c) => c.sdtype)).toEqual(["categorical", "categorical", "datetime"]);
    expect(table.data[0]).toEqual(["1", "2", "3"]);
    expect(table.data[2]).toEqual([new Date(Date.UTC(2020, 0, 1)), new Date(Date.UTC(2020, 0, 2)), null]);
    expect(warnings).toContainEqual(
      expect.objectContaining({ code: "VALUES_COERCED_TO_NULL", column: "c", rows: [3], examples: ["bad"] }),
    );
  });

  it("refuses metadata naming a column the file lacks", async () => {
    await expect(
      loadTable(enc(text), { metadata: { columns: [{ name: "nope", sdtype: "numerical" }] } }),
    ).rejects.toMatchObject({
      code: "UNKNOWN_COLUMN",
    });
  });
});

describe("high-cardinality columns", () => {
  it("stop interning past the limit yet still tell ids, text and duplicates apart", async () => {
    const n = 120_000;
    const rows = Array.from(
      { length: n },
      (_, i) => `K${i},word ${i % 1000} and more words ${i},D${i === n - 1 ? 0 : i}`,
    );
    const { metadata, table } = await csv("key,comment,dup", rows);
    expect(metadata.columns.map((c) => c.sdtype)).toEqual(["id", "text", "categorical"]);
    expect(table.data[0][n - 1]).toBe(`K${n - 1}`);
    expect(table.data[2][n - 1]).toBe("D0");
  });

  it("read a timestamp column with more distinct values than the interning limit", async () => {
    const n = 60_000;
    const t0 = Date.UTC(2020, 0, 1);
    const rows = Array.from({ length: n }, (_, i) =>
      new Date(t0 + i * 61_000).toISOString().slice(0, 19).replace("T", " "),
    );
    const { metadata, table } = await csv("at", rows);
    expect(metadata.columns[0]).toMatchObject({ sdtype: "datetime", datetimeFormat: "%Y-%m-%d %H:%M:%S" });
    expect(table.data[0][n - 1]).toEqual(new Date(t0 + (n - 1) * 61_000));
  });
});
