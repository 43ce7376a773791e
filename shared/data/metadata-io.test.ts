import { describe, expect, it } from "vitest";
import { compileFormat, formatDate } from "./datetime-format.ts";
import { detectFormat } from "./formats.ts";
import { DEFAULT_LIMITS, limitsFromMegabytes, resolveLimits } from "./limits.ts";
import type { TableMetadata } from "./metadata.ts";
import { profileTable } from "./profile.ts";
import { fromSdvMetadata, METADATA_SPEC_VERSION, parseMetadataJson, toSdvMetadata } from "./sdv-metadata.ts";
import { fromRows } from "./table.ts";

describe("SDV metadata", () => {
  const ours: TableMetadata = {
    columns: [
      { name: "id", sdtype: "id" },
      { name: "age", sdtype: "numerical", computerRepresentation: "Int64" },
      { name: "income", sdtype: "numerical", computerRepresentation: "Float" },
      { name: "joined", sdtype: "datetime", datetimeFormat: "%Y-%m-%d" },
      { name: "active", sdtype: "boolean" },
      { name: "plan", sdtype: "categorical" },
      { name: "mail", sdtype: "categorical", pii: "email" },
      { name: "bio", sdtype: "text" },
    ],
    primaryKey: "id",
  };

  it("exports SINGLE_TABLE_V1 and imports it back unchanged", () => {
    const sdv = toSdvMetadata(ours);
    expect(sdv.METADATA_SPEC_VERSION).toBe(METADATA_SPEC_VERSION);
    expect(sdv.columns.age).toEqual({ sdtype: "numerical", computer_representation: "Int64" });
    expect(sdv.columns.joined).toEqual({ sdtype: "datetime", datetime_format: "%Y-%m-%d" });
    expect(sdv.columns.mail).toEqual({ sdtype: "email", pii: true });
    expect(sdv.primary_key).toBe("id");
    expect(fromSdvMetadata(JSON.parse(JSON.stringify(sdv)))).toEqual(ours);
  });

  it("reads metadata as SDV writes it, semantic sdtypes included", () => {
    const sdvJson = `{
      "primary_key": "user_id",
      "METADATA_SPEC_VERSION": "SINGLE_TABLE_V1",
      "columns": {
        "user_id": {"sdtype": "id", "regex_format": "U_[0-9]{5}"},
        "phone": {"sdtype": "phone_number", "pii": true},
        "score": {"sdtype": "numerical", "computer_representation": "Float"},
        "country": {"sdtype": "country_code"}
      }
    }`;
    expect(parseMetadataJson(sdvJson)).toEqual({
      columns: [
        { name: "user_id", sdtype: "id" },
        { name: "phone", sdtype: "categorical", pii: "phone" },
        { name: "score", sdtype: "numerical", computerRepresentation: "Float" },
        { name: "country", sdtype: "categorical" },
      ],
      primaryKey: "user_id",
    });
    expect(parseMetadataJson(JSON.stringify(ours))).toEqual(ours);
  });

  it("refuses malformed metadata with INVALID_METADATA", () => {
    expect(() => parseMetadataJson("{not json")).toThrow(
      expect.objectContaining({ code: "INVALID_METADATA" }),
    );
    expect(() => fromSdvMetadata({ columns: { a: { sdtype: "numerical" } }, primary_key: "b" })).toThrow(
      expect.objectContaining({ code: "INVALID_METADATA" }),
    );
    expect(() => fromSdvMetadata({ METADATA_SPEC_VERSION: "MULTI_TABLE_V1", columns: {} })).toThrow(
      expect.objectContaining({ code: "INVALID_METADATA" }),
    );
  });
});

describe("profile", () => {
  const n = 101;
  const table = fromRows(
    ["x", "c", "d", "b", "t"],
    Array.from({ length: n }, (_, i) => [
      i === 0 ? null : i,
      ["a", "b", "b", "c", "c", "c"][i % 6],
      new Date(Date.UTC(2020, 0, 1) + i * 86_400_000),
      i % 4 === 0,
      `text ${i}`,
    ]),
  );
  const meta: TableMetadata = {
    columns: [
      { name: "x", sdtype: "numerical" },
      { name: "c", sdtype: "categorical" },
      { name: "d", sdtype: "datetime" },
      { name: "b", sdtype: "boolean" },
      { name: "t", sdtype: "text" },
    ],
  };

  it("summarises each column by type and is JSON-serialisable", () => {
    const p = profileTable(table, meta, { bins: 10 });
    expect(p).toMatchObject({ rows: n, columns: 5, missingCells: 1, rowsWithMissing: 1 });
    const [x, c, d, b, t] = p.columnProfiles;
    expect(x).toMatchObject({ count: 100, missing: 1, distinct: 100 });
    expect(x.numeric).toMatchObject({ min: 1, max: 100, mean: 50.5 });
    expect(x.numeric!.quantiles.p50).toBe(50.5);
    expect(x.numeric!.std).toBeCloseTo(29.0115, 4); // sample std of 1..100
    expect(x.numeric!.histogram.counts).toHaveLength(10);
    expect(x.numeric!.histogram.counts.reduce((s, v) => s + v, 0)).toBe(100);
    expect(c.categories!.map((k) => k.value)).toEqual(["c", "b", "a"]);
    expect(c.categories![0].count).toBe(50);
    expect(d.datetime!.minIso).toBe("2020-01-01T00:00:00.000Z");
    expect(b.boolean).toEqual({ true: 26, false: 75 });
    expect(t.text).toMatchObject({ minLength: 6, maxLength: 8 });
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  it("stays small for a high-cardinality column", () => {
    const wide = fromRows(
      ["k"],
      Array.from({ length: 50_000 }, (_, i) => [`key-${i}`]),
    );
    const p = profileTable(wide, { columns: [{ name: "k", sdtype: "categorical" }] });
    expect(JSON.stringify(p).length).toBeLessThan(4000);
    expect(p.columnProfiles[0].otherCount).toBe(50_000 - 20);
  });
});

describe("formats, limits and datetime formats", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it("detects the format from the bytes and refuses a container behind a text name", () => {
    expect(detectFormat(enc("a,b\n1,2\n"), "x.csv")).toBe("csv");
    expect(detectFormat(enc('  [{"a":1}]'), "x.csv")).toBe("json");
    expect(detectFormat(enc('{"a":1}\n{"a":2}\n'))).toBe("jsonl");
    expect(detectFormat(enc("PAR1...."))).toBe("parquet");
    expect(detectFormat(new Uint8Array([0x50, 0x4b, 0x03, 0x04]))).toBe("xlsx");
    expect(() => detectFormat(new Uint8Array([0x50, 0x4b, 0x03, 0x04]), "x.csv")).toThrow(
      expect.objectContaining({ code: "FORMAT_MISMATCH" }),
    );
  });

  it("limits default to 500 MB and validate overrides", () => {
    expect(DEFAULT_LIMITS.maxFileBytes).toBe(500 * 1024 * 1024);
    expect(limitsFromMegabytes(2).maxFileBytes).toBe(2 * 1024 * 1024);
    expect(resolveLimits({ maxRows: 5 }).maxRows).toBe(5);
    expect(() => resolveLimits({ maxRows: -1 })).toThrow();
  });

  it("parses and formats strftime datetimes, refusing impossible dates", () => {
    const f = compileFormat("%d/%m/%Y %H:%M");
    expect(f.parse("29/02/2024 13:05")).toEqual(new Date(Date.UTC(2024, 1, 29, 13, 5)));
    expect(f.parse("30/02/2024 13:05")).toBeNull();
    expect(compileFormat("%Y-%m-%dT%H:%M:%S%z").parse("2021-06-01T12:00:00+02:00")).toEqual(
      new Date(Date.UTC(2021, 5, 1, 10)),
    );
    expect(compileFormat("%d %b %Y").parse("05 Mar 2021")).toEqual(new Date(Date.UTC(2021, 2, 5)));
    expect(formatDate(new Date(Date.UTC(2021, 2, 5, 7, 8, 9, 10)), "%Y-%m-%d %H:%M:%S.%f")).toBe(
      "2021-03-05 07:08:09.010",
    );
  });
});
