import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { readArtifactHeader } from "../../shared/synth/artifact.ts";
import { createRng } from "../../shared/random.ts";

const dir = mkdtempSync(join(tmpdir(), "synth-cli-privacy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 90 distinct rows from 144 combinations: a copula left alone reproduces many of them. */
function uniqueCsv(): string {
  const rng = createRng(5);
  const seen = new Set<string>();
  while (seen.size < 90) {
    seen.add(`${["red", "green", "blue", "grey"][rng.int(4)]},${["S", "M", "L"][rng.int(3)]},${rng.int(12)}`);
  }
  const path = join(dir, "people.csv");
  writeFileSync(path, `colour,size,score\n${[...seen].join("\n")}\n`);
  return path;
}

/** Runs the CLI, returning the exit code and what it wrote to stderr. */
async function run(...args: string[]): Promise<{ code: number; stderr: string }> {
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    const code = await main(["node", "synth", ...args]);
    return { code, stderr: stderr.mock.calls.map((c) => String(c[0])).join("") };
  } finally {
    stderr.mockRestore();
    stdout.mockRestore();
  }
}

interface PrivacyPart {
  exactCopies: { uniqueRealRowCopies: number; warning: string | null };
  guard: { status: string; minRowCount: number | null; resampled: number } | null;
}
const privacyOf = (path: string) =>
  (JSON.parse(readFileSync(path, "utf8")) as { privacy: PrivacyPart }).privacy;

describe("synth generate / fit / sample: the privacy guard", () => {
  const data = uniqueCsv();

  it("generate guards by default and --no-privacy-guard shows the copies in the report", async () => {
    const on = await run(
      "generate",
      data,
      "--rows",
      "300",
      "--out",
      join(dir, "on.csv"),
      "--report",
      join(dir, "on.json"),
    );
    expect(on.code).toBe(0);
    expect(on.stderr).toMatch(/privacy guard \(k = 2\): \d+ rows equal to a rare real row resampled/);
    const guarded = privacyOf(join(dir, "on.json"));
    expect(guarded.exactCopies.uniqueRealRowCopies).toBe(0);
    expect(guarded.guard).toMatchObject({ status: "on", minRowCount: 2 });
    expect(guarded.guard?.resampled).toBeGreaterThan(0);

    const off = await run(
      "generate",
      data,
      "--rows",
      "300",
      "--no-privacy-guard",
      "--out",
      join(dir, "off.csv"),
      "--report",
      join(dir, "off.json"),
    );
    expect(off.code).toBe(0);
    const unguarded = privacyOf(join(dir, "off.json"));
    expect(unguarded.exactCopies.uniqueRealRowCopies).toBeGreaterThan(0);
    expect(unguarded.exactCopies.warning).not.toBeNull();
    expect(unguarded.guard?.status).toBe("off");
  });

  it("fit keeps the guard in the model; sample can lower k or turn it off, not raise k", async () => {
    const model = join(dir, "k3.synth");
    expect((await run("fit", data, "--privacy-min-row-count", "3", "--out", model)).code).toBe(0);
    expect(readArtifactHeader(new Uint8Array(readFileSync(model))).header.rareRows).toMatchObject({
      minRowCount: 3,
    });
    const sampled = await run("sample", model, "--rows", "100", "--seed", "1", "--out", join(dir, "s.csv"));
    expect(sampled.code).toBe(0);
    expect(sampled.stderr).toContain("privacy guard (k = 3)");
    const lowered = await run(
      "sample",
      model,
      "--rows",
      "100",
      "--privacy-min-row-count",
      "2",
      "--out",
      join(dir, "s2.csv"),
    );
    expect(lowered.stderr).toContain("privacy guard (k = 2)");
    const raised = await run(
      "sample",
      model,
      "--rows",
      "10",
      "--privacy-min-row-count",
      "4",
      "--out",
      join(dir, "x.csv"),
    );
    expect(raised.code).toBe(1);
    expect(raised.stderr).toContain("VALIDATION_ERROR");
    const off = await run("sample", model, "--rows", "10", "--no-privacy-guard", "--out", join(dir, "o.csv"));
    expect(off.stderr).toContain("privacy guard off");

    const unguarded = join(dir, "off.synth");
    expect((await run("fit", data, "--no-privacy-guard", "--out", unguarded)).code).toBe(0);
    expect(readArtifactHeader(new Uint8Array(readFileSync(unguarded))).header.rareRows).toBeUndefined();
  });
});
