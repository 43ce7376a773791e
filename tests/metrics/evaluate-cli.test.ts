import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { writeTable } from "../../shared/data/write.ts";
import { reportSchema } from "../../shared/metrics/report-schema.ts";
import { reportMetadata, reportTables } from "./report-fixture.ts";

describe("synth evaluate", () => {
  const dir = mkdtempSync(join(tmpdir(), "synth-evaluate-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the JSON and HTML reports from files", async () => {
    const { real, synthetic, holdout } = reportTables(400);
    const file = (name: string) => join(dir, name);
    writeFileSync(file("real.csv"), await writeTable(real, reportMetadata, "csv"));
    writeFileSync(file("synthetic.jsonl"), await writeTable(synthetic, reportMetadata, "jsonl"));
    writeFileSync(file("holdout.csv"), await writeTable(holdout, reportMetadata, "csv"));
    writeFileSync(file("meta.json"), JSON.stringify(reportMetadata));
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const code = await main([
      "node",
      "synth",
      "evaluate",
      file("real.csv"),
      file("synthetic.jsonl"),
      "--metadata",
      file("meta.json"),
      "--target",
      "plan",
      "--holdout",
      file("holdout.csv"),
      "--out",
      file("report.json"),
      "--html",
      file("report.html"),
    ]);
    const printed = out.mock.calls.map((c) => String(c[0])).join("");
    out.mockRestore();
    expect(code).toBe(0);
    const report = reportSchema.parse(JSON.parse(readFileSync(file("report.json"), "utf8")));
    expect(report.rows).toEqual({ real: 400, synthetic: 400, holdout: 200 });
    expect(report.mlEfficacy?.target).toBe("plan");
    expect(report.privacy?.overfittingProtection).not.toBeNull();
    expect(report.quality.allPairs.overall).toBeGreaterThan(0.6);
    expect(readFileSync(file("report.html"), "utf8")).toContain('<canvas id="heat-real"');
    expect(printed).toContain("quality overall");
  });

  it("fails with a coded error when a file does not exist", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const code = await main([
      "node",
      "synth",
      "evaluate",
      join(dir, "nope.csv"),
      join(dir, "x.csv"),
      "--out",
      join(dir, "r.json"),
    ]);
    const printed = err.mock.calls.map((c) => String(c[0])).join("");
    err.mockRestore();
    expect(code).toBe(1);
    expect(printed).toContain("NOT_FOUND");
  });
});
