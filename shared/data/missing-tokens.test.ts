import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import { Synthesizer } from "../synth/synthesizer.ts";
import { FILE_FORMATS } from "./formats.ts";
import { loadTable } from "./load.ts";
import type { TableMetadata } from "./metadata.ts";
import { profileTable } from "./profile.ts";
import { toSdvMetadata } from "./sdv-metadata.ts";
import { writeTable } from "./write.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/**
 * Shaped like Ames housing: MasVnrType is "None" (no masonry veneer) in 60% of the rows and "NA" (not recorded)
 * in 4 of 400; MasVnrArea and LotFrontage are numbers with "NA" where unknown (LotFrontage in 15% of rows).
 */
function amesLike(rows = 400): string {
  const rng = createRng(8);
  const lines = ["Id,MasVnrType,MasVnrArea,LotFrontage,CentralAir"];
  for (let i = 0; i < rows; i++) {
    const u = rng.next();
    const type = i % 100 === 7 ? "NA" : u < 0.6 ? "None" : u < 0.85 ? "BrkFace" : "Stone";
    const area = type === "NA" ? "NA" : type === "None" ? "0" : String(50 + rng.int(600));
    const frontage = rng.next() < 0.15 ? "NA" : String(30 + rng.int(90));
    lines.push(`${i + 1},${type},${area},${frontage},${rng.next() < 0.9 ? "Y" : "N"}`);
  }
  return `${lines.join("\n")}\n`;
}

describe("missing-value tokens: missing only where they are the odd one out", () => {
  const csv = amesLike();
  const source = csv
    .split("\n")
    .slice(1, -1)
    .map((l) => l.split(","));

  it("keeps a majority level spelled None, and reads NA as missing among numbers and as a rare text token", async () => {
    const loaded = await loadTable(encode(csv), { fileName: "ames.csv" });
    const [, type, area, frontage] = loaded.table.data;
    expect(type).toEqual(source.map((r) => (r[1] === "NA" ? null : r[1])));
    expect(type.filter((v) => v === "None").length).toBeGreaterThan(200);
    expect(area).toEqual(source.map((r) => (r[2] === "NA" ? null : Number(r[2]))));
    expect(frontage).toEqual(source.map((r) => (r[3] === "NA" ? null : Number(r[3]))));

    const meta = new Map(loaded.metadata.columns.map((c) => [c.name, c]));
    expect(meta.get("MasVnrType")).toEqual({
      name: "MasVnrType",
      sdtype: "categorical",
      missingValues: ["NA"],
    });
    expect(meta.get("LotFrontage")).toMatchObject({ sdtype: "numerical", missingValues: ["NA"] });
    expect(meta.get("CentralAir")?.missingValues).toBeUndefined();
    expect(loaded.warnings.filter((w) => w.code === "MIXED_TYPES")).toEqual([]);
    // SDV's metadata has no such field: the export stays loadable by SDV and leaves it out.
    expect(toSdvMetadata(loaded.metadata).columns.MasVnrType).toEqual({ sdtype: "categorical" });

    const frontageNa = source.filter((r) => r[3] === "NA").length;
    expect(frontageNa).toBeGreaterThan(40);
    const profile = profileTable(loaded.table, loaded.metadata, {}, { missingTokens: loaded.missingTokens });
    const byName = new Map(profile.columnProfiles.map((p) => [p.name, p]));
    expect(byName.get("MasVnrType")?.missingTokens).toEqual([{ token: "NA", count: 4 }]);
    expect(byName.get("LotFrontage")?.missingTokens).toEqual([{ token: "NA", count: frontageNa }]);
    expect(byName.get("MasVnrType")?.categories?.[0]).toMatchObject({ value: "None" });
    expect(byName.get("CentralAir")?.missingTokens).toBeUndefined();
  });

  it("every writer and reader keeps None", async () => {
    const { table, metadata } = await loadTable(encode(csv), { fileName: "ames.csv" });
    for (const format of FILE_FORMATS) {
      const back = await loadTable(await writeTable(table, metadata, format), { fileName: `t.${format}` });
      expect(back.table.data, format).toEqual(table.data);
      // NA was written blank, so only None is left to decide on: a value ([] since nothing else is a token).
      expect(back.metadata.columns[1], format).toEqual({ ...metadata.columns[1], missingValues: [] });
    }
    const written = decode(await writeTable(table, metadata, "csv"));
    expect(written.split("\r\n")[1]).toBe(csv.split("\n")[1]);
  });

  it("the synthetic table keeps None, at about its real share", async () => {
    const { table, metadata } = await loadTable(encode(csv), { fileName: "ames.csv" });
    const synth = await Synthesizer.fit(table, metadata, { model: "gaussian_copula", seed: 1 });
    const out = await synth.sample(1000, { seed: 2 });
    synth.dispose();
    const types = out.data[1];
    const none = types.filter((v) => v === "None").length / types.length;
    expect(none).toBeGreaterThan(0.5);
    expect(none).toBeLessThan(0.7);
    const text = decode(await writeTable(out, synth.metadata, "csv"));
    expect(text).toMatch(/\r\n\d+,None,/);
  });

  it("reads tokens as missing in boolean and date columns, and when rare among text", async () => {
    const rows = Array.from({ length: 100 }, (_, i) => [
      i % 10 === 0 ? "None" : i % 2 === 0 ? "true" : "false",
      i % 10 === 0 ? "NA" : `2020-01-${String(1 + (i % 28)).padStart(2, "0")}`,
      i === 5 ? "None" : ["red", "green", "blue"][i % 3],
      // Frequent enough to be a level of a text column: 5 of 100.
      i % 20 === 0 ? "null" : ["a", "b"][i % 2],
    ]);
    const text = `flag,day,colour,code\n${rows.map((r) => r.join(",")).join("\n")}\n`;
    const { table, metadata } = await loadTable(encode(text));
    expect(metadata.columns.map((c) => c.sdtype)).toEqual([
      "boolean",
      "datetime",
      "categorical",
      "categorical",
    ]);
    expect(table.data[0].filter((v) => v === null)).toHaveLength(10);
    expect(table.data[1].filter((v) => v === null)).toHaveLength(10);
    expect(table.data[2][5]).toBeNull();
    expect(table.data[3].filter((v) => v === "null")).toHaveLength(5);
    expect(metadata.columns.map((c) => c.missingValues)).toEqual([["None"], ["NA"], ["None"], []]);
  });

  it("declared missingValues decide: tokens listed are missing, others are values, non-tokens too", async () => {
    const text = "kind,n\nNone,1\nNA,-999\nNone,?\nx,4\nNA,5\n";
    const metadata: TableMetadata = {
      columns: [
        { name: "kind", sdtype: "categorical", missingValues: ["None"] },
        { name: "n", sdtype: "numerical", missingValues: ["-999", "?"] },
      ],
    };
    const loaded = await loadTable(encode(text), { metadata });
    expect(loaded.table.data).toEqual([
      [null, "NA", null, "x", "NA"],
      [1, null, null, 4, 5],
    ]);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.missingTokens.get("kind")).toEqual([{ token: "None", count: 2 }]);
    expect(loaded.missingTokens.get("n")).toEqual([
      { token: "-999", count: 1 },
      { token: "?", count: 1 },
    ]);
  });

  it("a second table read with the first one's metadata decides as the first did", async () => {
    const real = await loadTable(encode(csv), { fileName: "ames.csv" });
    // In this sample "NA" happens to be 10% of MasVnrType: by itself it would be a level.
    const other = `Id,MasVnrType,MasVnrArea,LotFrontage,CentralAir\n${Array.from(
      { length: 20 },
      (_, i) => `${i},${i % 10 === 0 ? "NA" : i % 2 ? "None" : "Stone"},0,60,Y`,
    ).join("\n")}\n`;
    expect((await loadTable(encode(other))).table.data[1][0]).toBe("NA");
    const read = await loadTable(encode(other), { metadata: real.metadata });
    expect(read.table.data[1][0]).toBeNull();
    expect(read.table.data[1][1]).toBe("None");
  });
});
