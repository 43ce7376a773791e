import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ErrorCode } from "../errors.ts";
import type { LoadOptions } from "./load.ts";
import type { DataWarningCode } from "./warnings.ts";

const FIXTURES = fileURLToPath(new URL("../../tests/fixtures/hostile/", import.meta.url));
const RUNNER = join(FIXTURES, "run-cases.ts");

type Expect =
  { error: ErrorCode; detail?: Record<string, unknown> } | { warning: DataWarningCode } | { ok: true };

/** Every hostile file and what reading it must give: a typed error, or a table with a warning. */
const CORPUS: { name: string; big?: boolean; options?: LoadOptions; expect: Expect }[] = [
  { name: "empty.csv", expect: { error: "EMPTY_FILE" } },
  { name: "whitespace-only.csv", expect: { error: "EMPTY_FILE" } },
  { name: "header-only.csv", expect: { error: "HEADER_ONLY" } },
  {
    name: "duplicate-headers.csv",
    expect: { error: "DUPLICATE_COLUMN_NAME", detail: { column: "id", positions: [1, 3] } },
  },
  { name: "empty-header.csv", expect: { error: "EMPTY_COLUMN_NAME", detail: { position: 2 } } },
  {
    name: "ragged-rows.csv",
    expect: { error: "RAGGED_ROW", detail: { rows: [2, 4], count: 2, expected: 3 } },
  },
  { name: "unterminated-quote.csv", expect: { error: "CORRUPT_FILE", detail: { row: 1 } } },
  { name: "text-after-quote.csv", expect: { error: "CORRUPT_FILE", detail: { row: 1, column: "a" } } },
  { name: "invalid-utf8.csv", expect: { error: "INVALID_ENCODING", detail: { row: 1, column: "b" } } },
  { name: "overlong-utf8.csv", expect: { error: "INVALID_ENCODING" } },
  { name: "binary-garbage.csv", expect: { error: "FORMAT_MISMATCH" } },
  { name: "binary-garbage.dat", expect: { error: "UNSUPPORTED_FORMAT" } },
  { name: "nul-bytes.csv", expect: { error: "FORMAT_MISMATCH" } },
  { name: "zip-named-csv.csv", expect: { error: "FORMAT_MISMATCH", detail: { declared: "csv" } } },
  { name: "gzip-named-csv.csv", expect: { error: "FORMAT_MISMATCH" } },
  { name: "legacy-ole2.xls", expect: { error: "UNSUPPORTED_FORMAT" } },
  { name: "truncated.xlsx", expect: { error: "CORRUPT_FILE" } },
  { name: "corrupt-deflate.xlsx", expect: { error: "CORRUPT_FILE" } },
  { name: "zip-not-xlsx.xlsx", expect: { error: "UNSUPPORTED_FORMAT" } },
  { name: "only-magic.xlsx", expect: { error: "CORRUPT_FILE" } },
  { name: "xml-entity-expansion.xlsx", expect: { error: "CORRUPT_FILE", detail: { reason: "xml_dtd" } } },
  { name: "xml-external-entity.xlsx", expect: { error: "CORRUPT_FILE", detail: { reason: "xml_dtd" } } },
  {
    name: "entities-in-shared-strings.xlsx",
    expect: { error: "CORRUPT_FILE", detail: { reason: "xml_dtd" } },
  },
  { name: "empty-sheet.xlsx", expect: { error: "EMPTY_FILE" } },
  { name: "max-dimension.xlsx", expect: { error: "TOO_MANY_COLUMNS", detail: { columns: 16384 } } },
  { name: "truncated.parquet", expect: { error: "CORRUPT_FILE" } },
  { name: "wrong-footer.parquet", expect: { error: "CORRUPT_FILE" } },
  { name: "rle-run-bomb.parquet", expect: { error: "CORRUPT_FILE", detail: { column: "v" } } },
  { name: "csv-named-parquet.parquet", expect: { error: "FORMAT_MISMATCH" } },
  { name: "nan-infinity.json", expect: { error: "INVALID_NUMBER" } },
  { name: "truncated.json", expect: { error: "CORRUPT_FILE" } },
  { name: "not-records.json", expect: { error: "UNSUPPORTED_FORMAT" } },
  { name: "scalars.json", expect: { error: "UNSUPPORTED_FORMAT", detail: { row: 1 } } },
  { name: "empty-array.json", expect: { error: "EMPTY_FILE" } },
  { name: "bad-line.jsonl", expect: { error: "CORRUPT_FILE", detail: { line: 2 } } },
  { name: "nan.jsonl", expect: { error: "INVALID_NUMBER", detail: { line: 2 } } },
  { name: "mixed-newlines.csv", expect: { warning: "MIXED_NEWLINES" } },
  { name: "mixed-types.csv", expect: { warning: "MIXED_TYPES" } },
  { name: "all-null-column.csv", expect: { warning: "ALL_NULL_COLUMN" } },
  { name: "utf16-bom.csv", expect: { ok: true } },
  { name: "formula-cells.csv", expect: { ok: true } },
  {
    name: "mixed-types.csv#limit-bytes",
    options: { limits: { maxFileBytes: 64 } },
    expect: { error: "FILE_TOO_LARGE" },
  },
  {
    name: "mixed-types.csv#limit-rows",
    options: { limits: { maxRows: 10 } },
    expect: { error: "TOO_MANY_ROWS" },
  },
  {
    name: "field-50mb.csv",
    big: true,
    expect: { error: "FIELD_TOO_LARGE", detail: { row: 1, column: "b" } },
  },
  {
    name: "quoted-field-50mb.csv",
    big: true,
    expect: { error: "FIELD_TOO_LARGE", detail: { row: 1, column: "b" } },
  },
  { name: "unclosed-quote-50mb.csv", big: true, expect: { error: "FIELD_TOO_LARGE" } },
  { name: "columns-20000.csv", big: true, expect: { error: "TOO_MANY_COLUMNS" } },
  {
    name: "columns-20000.csv#allowed",
    big: true,
    options: { limits: { maxColumns: 25_000 } },
    expect: { ok: true },
  },
  { name: "deep-nesting.json", big: true, expect: { error: "NESTING_TOO_DEEP" } },
  { name: "deep-nesting.jsonl", big: true, expect: { error: "NESTING_TOO_DEEP" } },
  { name: "zip-bomb.xlsx", big: true, expect: { error: "ZIP_BOMB" } },
  { name: "zip-bomb-lying-size.xlsx", big: true, expect: { error: "ZIP_BOMB" } },
];

interface Outcome {
  name: string;
  ok: boolean;
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
  warnings?: string[];
  cells?: unknown[][];
  ms: number;
  rssMb: number;
}

/** Runs the cases in a child with a heap cap; a hang past the deadline kills it and names the case. */
function runCases(manifest: string, deadlineMs: number): Promise<Map<string, Outcome>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--max-old-space-size=1024", "--import", "tsx", RUNNER, manifest],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const results = new Map<string, Outcome>();
    let current = "";
    let buffer = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`hostile corpus run exceeded ${deadlineMs} ms; stuck on ${current}`));
    }, deadlineMs);
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = JSON.parse(buffer.slice(0, nl)) as Outcome & { start?: string };
        buffer = buffer.slice(nl + 1);
        if (line.start !== undefined) current = line.start;
        else results.set(line.name, line);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(results);
      else reject(new Error(`runner died (${code ?? signal}) on ${current}: ${stderr.slice(-2000)}`));
    });
  });
}

describe("hostile files", () => {
  let dir = "";
  let outcomes = new Map<string, Outcome>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "synth-hostile-"));
    const { generateBig } = await import("../../tests/fixtures/hostile/generate.ts");
    const big = await generateBig(dir);
    const manifest = CORPUS.map((c) => {
      const file = c.name.split("#")[0];
      return { name: c.name, path: c.big ? big[file] : join(FIXTURES, file), options: c.options };
    });
    const manifestPath = join(dir, "manifest.json");
    writeFileSync(manifestPath, JSON.stringify(manifest));
    outcomes = await runCases(manifestPath, 120_000);
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("has at least 25 distinct hostile files, every committed one covered", () => {
    const names = new Set(CORPUS.map((c) => c.name.split("#")[0]));
    expect(names.size).toBeGreaterThanOrEqual(25);
    const committed = readdirSync(FIXTURES).filter((f) => !f.endsWith(".ts"));
    for (const f of committed) expect(names.has(f), `${f} has no expectation`).toBe(true);
  });

  for (const c of CORPUS) {
    it(`${c.name} -> ${"error" in c.expect ? c.expect.error : "warning" in c.expect ? `warning ${c.expect.warning}` : "reads"}`, () => {
      const out = outcomes.get(c.name);
      expect(out, "no outcome (runner skipped it?)").toBeDefined();
      if ("error" in c.expect) {
        expect({ code: out!.code, message: out!.message }).toMatchObject({ code: c.expect.error });
        expect(out!.message!.length).toBeGreaterThan(10);
        if (c.expect.detail) expect(out!.details).toMatchObject(c.expect.detail);
      } else {
        expect(out!.ok, out!.message).toBe(true);
        if ("warning" in c.expect) expect(out!.warnings).toContain(c.expect.warning);
      }
      process.stderr.write(
        `${c.name}: ${out!.ok ? "ok" : out!.code} in ${out!.ms.toFixed(0)} ms, rss ${out!.rssMb.toFixed(0)} MB\n`,
      );
      // A bound against runaway reads (a hang guard, not a benchmark): each case well under the heap cap.
      expect(out!.rssMb).toBeLessThan(1536);
    });
  }

  it("reads the UTF-16 file and keeps formula text as data", () => {
    // Two distinct numbers make a categorical column (the 0/1-flag rule), hence strings.
    expect(outcomes.get("utf16-bom.csv")!.cells).toEqual([
      ["1", "2"],
      ["é", "ü"],
    ]);
    expect(outcomes.get("formula-cells.csv")!.cells![0]).toEqual([
      '=HYPERLINK("http://x","y")',
      "@SUM(A1)",
      "+cmd",
      "-2+3",
    ]);
  });
});
