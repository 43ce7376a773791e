import { describe, expect, it } from "vitest";
import { FILE_FORMATS, formatFromFileName } from "./formats.ts";
import { loadTable } from "./load.ts";
import type { TableMetadata } from "./metadata.ts";
import { profileTable } from "./profile.ts";
import { fromSdvMetadata, parseMetadataJson, toSdvMetadata } from "./sdv-metadata.ts";
import { fromRows } from "./table.ts";
import { writeTable } from "./write.ts";

// Names that collide with Object.prototype: an object built by assignment loses or misreads them.
const NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "plain"];

const metadata: TableMetadata = {
  columns: [
    { name: "__proto__", sdtype: "categorical" },
    { name: "constructor", sdtype: "numerical", computerRepresentation: "Int64" },
    { name: "toString", sdtype: "datetime", datetimeFormat: "%Y-%m-%d" },
    { name: "hasOwnProperty", sdtype: "boolean" },
    { name: "valueOf", sdtype: "numerical", computerRepresentation: "Float" },
    { name: "plain", sdtype: "id" },
  ],
  primaryKey: "plain",
};
const table = fromRows(
  NAMES,
  Array.from({ length: 12 }, (_, i) => [
    ["a", "b", "c"][i % 3],
    i * 3,
    new Date(Date.UTC(2021, 0, 1 + i)),
    i % 2 === 0,
    i / 4,
    `k${i}`,
  ]),
);

describe("column names that are Object.prototype keys", () => {
  for (const format of FILE_FORMATS) {
    it(`${format}: every column and its values survive write and read`, async () => {
      const back = await loadTable(await writeTable(table, metadata, format), {
        fileName: `t.${format}`,
        metadata,
      });
      expect(back.table.columns).toEqual(NAMES);
      expect(back.table.data).toEqual(table.data);
      const inferred = await loadTable(await writeTable(table, metadata, format), {
        fileName: `t.${format}`,
      });
      expect(inferred.table.columns).toEqual(NAMES);
      expect(inferred.metadata.columns.map((c) => c.name)).toEqual(NAMES);
    });
  }

  it("JSON records carry every name as an own key", async () => {
    const text = new TextDecoder().decode(await writeTable(table, metadata, "jsonl"));
    const first = JSON.parse(text.split("\n")[0]) as object;
    expect(Object.keys(first)).toEqual(NAMES);
    expect(text.startsWith('{"__proto__":"a","constructor":0,')).toBe(true);
  });

  it("SDV metadata export and import keep every column, through JSON text", () => {
    const sdv = toSdvMetadata(metadata);
    const text = JSON.stringify(sdv);
    expect(Object.keys((JSON.parse(text) as { columns: object }).columns)).toEqual(NAMES);
    expect(fromSdvMetadata(JSON.parse(text))).toEqual(metadata);
    expect(parseMetadataJson(text)).toEqual(metadata);
    // Our own metadata JSON too.
    expect(parseMetadataJson(JSON.stringify(metadata))).toEqual(metadata);
  });

  it("an SDV sdtype spelled like an Object.prototype key is an unknown sdtype, not personal data", () => {
    const sdv = { columns: { a: { sdtype: "constructor" }, b: { sdtype: "toString" } } };
    expect(fromSdvMetadata(sdv)).toEqual({
      columns: [
        { name: "a", sdtype: "categorical" },
        { name: "b", sdtype: "categorical" },
      ],
    });
  });

  it("a file extension spelled like an Object.prototype key is no format", () => {
    expect(formatFromFileName("out.constructor")).toBeUndefined();
    expect(formatFromFileName("out.__proto__")).toBeUndefined();
    expect(formatFromFileName("out.CSV")).toBe("csv");
  });

  it("the profile names every column", () => {
    const profile = profileTable(table, metadata);
    expect(profile.columnProfiles.map((p) => p.name)).toEqual(NAMES);
    expect(JSON.parse(JSON.stringify(profile)).columnProfiles[0].categories).toHaveLength(3);
  });
});
