import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const BIN = new URL("../../bin/synth.mjs", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "synth-inspect-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const csv = join(dir, "people.csv");
writeFileSync(
  csv,
  `id,email,age,joined,plan\n${Array.from({ length: 30 }, (_, i) => `P${i},p${i}@example.com,${20 + i},2021-01-${String(1 + (i % 28)).padStart(2, "0")},${["free", "pro"][i % 2]}`).join("\n")}\n`,
);

describe("synth inspect", () => {
  it("prints a readable summary and writes SDV metadata", async () => {
    const out = join(dir, "meta.json");
    const { stdout } = await run(process.execPath, [BIN, "inspect", csv, "--metadata", out]);
    expect(stdout).toContain("people.csv: csv, 30 rows x 5 columns");
    expect(stdout).toMatch(/email\s+categorical PII:email/);
    expect(stdout).toMatch(/joined\s+datetime %Y-%m-%d/);
    const sdv = JSON.parse(readFileSync(out, "utf8"));
    expect(sdv).toMatchObject({
      METADATA_SPEC_VERSION: "SINGLE_TABLE_V1",
      primary_key: "id",
      columns: {
        age: { sdtype: "numerical" },
        email: { sdtype: "email", pii: true },
        plan: { sdtype: "categorical" },
      },
    });
  });

  it("--json gives metadata, profile and warnings; --input-metadata overrides inference", async () => {
    const override = join(dir, "override.json");
    writeFileSync(
      override,
      JSON.stringify({
        METADATA_SPEC_VERSION: "SINGLE_TABLE_V1",
        columns: { age: { sdtype: "categorical" } },
      }),
    );
    const { stdout } = await run(process.execPath, [
      BIN,
      "inspect",
      csv,
      "--json",
      "--input-metadata",
      override,
    ]);
    const json = JSON.parse(stdout);
    expect(json.format).toBe("csv");
    expect(json.metadata.columns.find((c: { name: string }) => c.name === "age").sdtype).toBe("categorical");
    expect(json.profile.rows).toBe(30);
    expect(json.warnings).toEqual([]);
  });

  it("says which tokens were read as missing, per column, and keeps a frequent level spelled None", async () => {
    const file = join(dir, "veneer.csv");
    writeFileSync(
      file,
      `veneer,area\n${Array.from({ length: 80 }, (_, i) => (i % 30 === 3 ? "NA,NA" : i % 2 ? "None,0" : `Stone,${i}`)).join("\n")}\n`,
    );
    const { stdout } = await run(process.execPath, [BIN, "inspect", file]);
    expect(stdout).toMatch(/veneer .*"None" \d.*\(missing: "NA" x3\)/);
    expect(stdout).toMatch(/area .*\(missing: "NA" x3\)/);
    const json = JSON.parse((await run(process.execPath, [BIN, "inspect", file, "--json"])).stdout);
    expect(json.profile.columnProfiles[0].missingTokens).toEqual([{ token: "NA", count: 3 }]);
    expect(json.metadata.columns[0].missingValues).toEqual(["NA"]);
  });

  it("fails with the typed error and MAX_FILE_SIZE_MB applies", async () => {
    const err = await run(process.execPath, [BIN, "inspect", csv], {
      env: { ...process.env, MAX_FILE_SIZE_MB: "0.0001" },
    }).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toContain("FILE_TOO_LARGE");
  });
});
