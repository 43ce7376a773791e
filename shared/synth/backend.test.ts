import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const probe = fileURLToPath(new URL("../../tests/synth-nn/backend-probe.ts", import.meta.url));
const run = (mode: string): Record<string, unknown> =>
  JSON.parse(
    execFileSync(process.execPath, ["--import", "tsx", probe, mode], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    })
      .trim()
      .split("\n")
      .at(-1) ?? "{}",
  ) as Record<string, unknown>;

describe("initBackend (each case in a fresh process: the wasm module starts once per process)", () => {
  it("starts wasm with SIMD from the binary's bytes, without any file path", () => {
    expect(run("bytes")).toMatchObject({ backend: "wasm", simd: true, active: "wasm", sum: 12 });
  });

  it("falls back to the cpu backend, saying why, when the wasm binary cannot be loaded", () => {
    const info = run("missing-fallback");
    expect(info).toMatchObject({ backend: "cpu", active: "cpu", sum: 12 });
    expect(typeof info.fallbackReason).toBe("string");
  });

  it("fails with CONFIG_ERROR instead when the fallback is off", () => {
    expect(run("missing-strict")).toEqual({ error: "CONFIG_ERROR" });
  });
});
