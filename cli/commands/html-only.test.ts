import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const BIN = new URL("../../bin/synth.mjs", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "synth-html-only-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const table = (offset: number) =>
  `age,income,plan\n${Array.from({ length: 60 }, (_, i) => `${20 + ((i + offset) % 40)},${1000 + 37 * ((i * 7 + offset) % 50)},${["free", "pro", "team"][(i + offset) % 3]}`).join("\n")}\n`;
const real = join(dir, "real.csv");
const synthetic = join(dir, "synthetic.csv");
writeFileSync(real, table(0));
writeFileSync(synthetic, table(5));

/** A folder of its own per case, so "nothing else was written" is a listing. */
function outDir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
}

function expectReportPage(path: string): void {
  const html = readFileSync(path, "utf8");
  expect(html.startsWith("<!doctype html>")).toBe(true);
  expect(html).toContain("<canvas");
  expect(html.trimEnd().endsWith("</html>")).toBe(true);
}

describe("--html without a JSON report", () => {
  it("synth evaluate --html writes the page alone", async () => {
    const out = outDir("evaluate");
    const page = join(out, "report.html");
    const { stdout } = await run(process.execPath, [BIN, "evaluate", real, synthetic, "--html", page]);
    expectReportPage(page);
    expect(readdirSync(out)).toEqual(["report.html"]);
    expect(stdout).toContain("quality overall");
  });

  it("synth evaluate without --out or --html is refused with a coded error", async () => {
    const err = await run(process.execPath, [BIN, "evaluate", real, synthetic]).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toContain("VALIDATION_ERROR");
  });

  it("synth generate --html writes the synthetic table and the page, no JSON report", async () => {
    const out = outDir("generate");
    const page = join(out, "report.html");
    const { stdout } = await run(process.execPath, [
      BIN,
      "generate",
      real,
      "--rows",
      "40",
      "--out",
      join(out, "synthetic.csv"),
      "--html",
      page,
    ]);
    expectReportPage(page);
    expect(readdirSync(out).sort()).toEqual(["report.html", "synthetic.csv"]);
    expect(stdout).toContain("quality overall");
  });
});
