import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { progressReporter } from "../../cli/synth-io.ts";
import { loadTable } from "../../shared/data/load.ts";

const dir = mkdtempSync(join(tmpdir(), "synth-cli-"));
const penguins = new URL("../../examples/penguins.csv", import.meta.url).pathname;
const run = (...args: string[]) => main(["node", "synth", ...args]);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("synth fit / sample / generate", () => {
  it("generate writes a synthetic table with the real header", async () => {
    const out = join(dir, "generated.csv");
    expect(await run("generate", penguins, "--rows", "50", "--out", out)).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text.split(/\r?\n/)[0]).toBe(readFileSync(penguins, "utf8").split("\n")[0].replaceAll('"', ""));
    const { table } = await loadTable(readFileSync(out), { fileName: out });
    expect(table.data[0]).toHaveLength(50);
  });

  it("generate --report scores the sample against the real table, JSON and HTML", async () => {
    const out = join(dir, "reported.csv");
    const json = join(dir, "report.json");
    const html = join(dir, "report.html");
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(await run("generate", penguins, "--out", out, "--report", json, "--html", html)).toBe(0);
    } finally {
      stdout.mockRestore();
    }
    const report = JSON.parse(readFileSync(json, "utf8")) as {
      quality: { allPairs: { overall: number; columnShapes: number } };
      privacy: { copyShare: number };
    };
    expect(report.quality.allPairs.columnShapes).toBeGreaterThan(0.8);
    expect(report.quality.allPairs.overall).toBeGreaterThan(0.7);
    expect(report.privacy.copyShare).toBeLessThan(0.05);
    expect(readFileSync(html, "utf8")).toContain("<canvas");
  });

  it("applies MAX_FILE_SIZE_MB to the table it learns from", async () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    vi.stubEnv("MAX_FILE_SIZE_MB", "0.001");
    try {
      expect(await run("generate", penguins, "--out", join(dir, "z.csv"))).toBe(1);
      expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toContain("FILE_TOO_LARGE");
    } finally {
      vi.unstubAllEnvs();
      stderr.mockRestore();
    }
  });

  it("fit then sample: the same seed writes the same file, in any output format", async () => {
    const model = join(dir, "model.synth");
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(
        await run("fit", penguins, "--model", "tvae", "--epochs", "2", "--seed", "3", "--out", model),
      ).toBe(0);
      const epochLines = stderr.mock.calls.map((c) => String(c[0])).filter((l) => l.startsWith("epoch "));
      expect(epochLines).toHaveLength(2);
    } finally {
      stderr.mockRestore();
    }
    const a = join(dir, "a.jsonl");
    const b = join(dir, "b.jsonl");
    expect(await run("sample", model, "--rows", "30", "--seed", "9", "--out", a)).toBe(0);
    expect(await run("sample", model, "--rows", "30", "--seed", "9", "--out", b)).toBe(0);
    expect(readFileSync(a, "utf8")).toBe(readFileSync(b, "utf8"));
    expect(readFileSync(a, "utf8").trim().split("\n")).toHaveLength(30);
  });

  it("reports a bad condition with its code and a non-zero exit", async () => {
    const model = join(dir, "copula.synth");
    expect(await run("fit", penguins, "--out", model)).toBe(0);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const code = await run(
        "sample",
        model,
        "--rows",
        "5",
        "--condition",
        "species=Dodo",
        "--out",
        join(dir, "x.csv"),
      );
      expect(code).toBe(1);
      expect(stderr.mock.calls.map((c) => String(c[0])).join("")).toContain("CONDITION_UNSATISFIABLE");
    } finally {
      stderr.mockRestore();
    }
  });
});

describe("progress", () => {
  const fakeStream = (isTTY: boolean) => {
    const chunks: string[] = [];
    return {
      chunks,
      stream: { isTTY, write: (s: string) => chunks.push(s) > 0 } as unknown as NodeJS.WriteStream,
    };
  };
  const epoch = (n: number) => ({
    epoch: n,
    epochs: 4,
    losses: { loss: 1 / n },
    elapsedMs: n * 1000,
    etaMs: 1000,
  });

  it("redraws one bar on a terminal", () => {
    const { chunks, stream } = fakeStream(true);
    const p = progressReporter(stream);
    p.onEpoch(epoch(1));
    p.onEpoch(epoch(2));
    p.done();
    const clear = "\r\u001b[2K";
    expect(chunks[0].startsWith(`${clear}[${"#".repeat(8)}${"-".repeat(22)}] epoch 1/4`)).toBe(true);
    expect(chunks[1].startsWith(`${clear}[${"#".repeat(15)}${"-".repeat(15)}] epoch 2/4  loss 0.5000`)).toBe(
      true,
    );
    expect(chunks.at(-1)).toBe("\n");
  });

  it("writes plain lines elsewhere", () => {
    const { chunks, stream } = fakeStream(false);
    const p = progressReporter(stream);
    p.onEpoch(epoch(1));
    p.done();
    expect(chunks).toEqual(["epoch 1/4  loss 1.0000  elapsed 1.0s  eta 1.0s\n"]);
  });
});
