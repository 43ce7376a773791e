import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { reportSchema } from "../../shared/metrics/report-schema.ts";
import { createRng } from "../../shared/random.ts";

const CLI = fileURLToPath(new URL("../../bin/synth.mjs", import.meta.url));
const HEAP_MB = 512;
const DEADLINE_MS = 280_000;

/** `cols` columns x `rows` rows: even columns digits 0-9 (numerical), odd ones letters a-e (categorical). */
function wideCsv(cols: number, rows: number, seed: number): string {
  const rng = createRng(seed);
  const lines = [Array.from({ length: cols }, (_, j) => `c${j}`).join(",")];
  for (let i = 0; i < rows; i++) {
    lines.push(
      Array.from({ length: cols }, (_, j) => (j % 2 === 0 ? String(rng.int(10)) : "abcde"[rng.int(5)])).join(
        ",",
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** `synth evaluate` in a child with a heap cap, killed past the deadline. */
function evaluateInChild(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, CLI, "evaluate", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`synth evaluate exceeded ${DEADLINE_MS} ms`));
    }, DEADLINE_MS);
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe("synth evaluate on a wide table", () => {
  const dir = mkdtempSync(join(tmpdir(), "synth-wide-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string) => join(dir, name);

  it(
    `scores 2 000 columns x 30 rows (1 999 000 pairs) within a ${HEAP_MB} MB heap and writes bounded reports`,
    async () => {
      writeFileSync(file("real.csv"), wideCsv(2000, 30, 1));
      writeFileSync(file("synthetic.csv"), wideCsv(2000, 30, 2));
      expect(statSync(file("real.csv")).size).toBeLessThan(140_000);
      const { code, stderr, stdout } = await evaluateInChild([
        file("real.csv"),
        file("synthetic.csv"),
        "--out",
        file("report.json"),
        "--html",
        file("report.html"),
      ]);
      expect(stderr.slice(-2000)).toBe("");
      expect(code).toBe(0);
      const report = reportSchema.parse(JSON.parse(readFileSync(file("report.json"), "utf8")));
      const pd = report.quality.pairDetails;
      expect(pd?.total).toBe(1_999_000);
      expect(pd?.scored).toBe(1_999_000);
      expect(report.quality.relatedPairs.pairsTotal).toBe(1_999_000);
      expect(report.quality.columnPairTrends.length).toBe(2000);
      expect(pd?.detailed).toBe(2000);
      expect(pd?.selection).toBe("bounded");
      expect(pd?.heatmapColumns.length).toBe(40);
      expect(pd!.heatmapPairs + pd!.worst + pd!.sampled).toBe(2000);
      expect(report.quality.allPairs.columnPairTrends).toBeGreaterThan(0);
      expect(report.notes.some((n) => n.startsWith("2000 of 1999000 column pairs are detailed"))).toBe(true);
      expect(stdout).toContain("2000 of 1999000 column pairs are detailed");
      // The reports grow with the columns, not with the pairs.
      expect(statSync(file("report.json")).size).toBeLessThan(8_000_000);
      const html = readFileSync(file("report.html"), "utf8");
      expect(html.length).toBeLessThan(8_000_000);
      expect(html).toContain('id="heatmap-scope"');
    },
    DEADLINE_MS + 10_000,
  );
});
