import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../main.ts";

const dir = mkdtempSync(join(tmpdir(), "synth-excel-safe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// One categorical column whose every level starts like a formula, and a number beside it.
const LEVELS = ["-1 year", "+44", "@home", "=SUM(A1)"];
const real = join(dir, "real.csv");
writeFileSync(
  real,
  `level,n\n${Array.from({ length: 80 }, (_, i) => `${LEVELS[i % 4]},${(i * 7) % 23}`).join("\n")}\n`,
);

async function run(...args: string[]): Promise<number> {
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    return await main(["node", "synth", ...args]);
  } finally {
    stderr.mockRestore();
  }
}

// "+44" is a plain number to a spreadsheet (never a formula), so even excel-safe CSV leaves it alone.
const SAFE = new Set(["'-1 year", "+44", "'@home", "'=SUM(A1)"]);

const levelsOf = (path: string): Set<string> =>
  new Set(
    readFileSync(path, "utf8")
      .split(/\r\n/)
      .slice(1)
      .filter((l) => l !== "")
      .map((l) => l.slice(0, l.lastIndexOf(","))),
  );

describe("--excel-safe-csv", () => {
  it("generate writes the real levels verbatim by default, and neutralised with the flag", async () => {
    const plain = join(dir, "plain.csv");
    const safe = join(dir, "safe.csv");
    expect(await run("generate", real, "--rows", "200", "--out", plain)).toBe(0);
    expect(await run("generate", real, "--rows", "200", "--out", safe, "--excel-safe-csv")).toBe(0);
    expect(levelsOf(plain)).toEqual(new Set(LEVELS));
    expect(levelsOf(safe)).toEqual(SAFE);
  });

  it("sample takes it too", async () => {
    const model = join(dir, "m.synth");
    const out = join(dir, "sampled.csv");
    expect(await run("fit", real, "--out", model)).toBe(0);
    expect(await run("sample", model, "--rows", "100", "--out", out, "--excel-safe-csv")).toBe(0);
    expect(levelsOf(out)).toEqual(SAFE);
  });
});
