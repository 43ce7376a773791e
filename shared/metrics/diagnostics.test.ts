import { describe, expect, it } from "vitest";
import { fromRows } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import {
  boundaryAdherence,
  categoryAdherence,
  diagnostics,
  keyUniqueness,
  tableStructure,
} from "./diagnostics.ts";

describe("diagnostics", () => {
  it("boundary and category adherence, key uniqueness", () => {
    expect(
      boundaryAdherence(new Float64Array([0, 10]), new Float64Array([-1, 0, 5, 10, 11, NaN])),
    ).toBeCloseTo(3 / 5, 12);
    expect(categoryAdherence(["a", "b", null], ["a", "c", null, "b"])).toBe(0.75);
    expect(keyUniqueness([1, 2, 2, null, 3])).toBe(0.6);
  });

  it("table structure compares names and value types", () => {
    const real = fromRows(["a", "b", "c"], [[1, "x", true]]);
    const same = fromRows(["a", "b", "c"], [[2, "y", false]]);
    expect(tableStructure(real, same).dataStructure).toBe(1);
    const changed = fromRows(["a", "b", "d"], [["1", "y", 1]]);
    // (a,number),(b,string),(c,boolean) vs (a,string),(b,string),(d,number): 1 shared of 5.
    const s = tableStructure(real, changed);
    expect(s.dataStructure).toBeCloseTo(1 / 5, 12);
    expect(s.structureMismatches.map((m) => m.column)).toEqual(["a", "c", "d"]);
  });

  it("a faithful table is valid everywhere", () => {
    const meta: TableMetadata = {
      columns: [
        { name: "id", sdtype: "id" },
        { name: "x", sdtype: "numerical" },
        { name: "c", sdtype: "categorical" },
      ],
      primaryKey: "id",
    };
    const t = fromRows(
      ["id", "x", "c"],
      [
        ["a", 1, "u"],
        ["b", 2, "v"],
      ],
    );
    const d = diagnostics(t, t, meta);
    expect(d.overall).toBe(1);
    expect(d.validity.map((v) => v.metric)).toEqual([
      "BoundaryAdherence",
      "CategoryAdherence",
      "KeyUniqueness",
    ]);
  });
});
