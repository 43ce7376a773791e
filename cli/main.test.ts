import { readdirSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { COMMANDS, main, type CommandModule } from "./main.ts";

describe("synth's command list", () => {
  it("holds every module in cli/commands/, so none is left unregistered", async () => {
    const dir = new URL("./commands/", import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const mod = (await import(new URL(file, dir).href)) as CommandModule;
      expect(
        COMMANDS.map((c) => c.register),
        file,
      ).toContain(mod.register);
    }
    expect(COMMANDS).toHaveLength(files.length);
  });

  it("--help lists every command", async () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(await main(["node", "synth", "--help"])).toBe(0);
      const printed = out.mock.calls.map((c) => String(c[0])).join("");
      for (const name of ["db", "evaluate", "fit", "generate", "inspect", "sample"]) {
        expect(printed).toMatch(new RegExp(`^\\s+${name}\\b`, "m"));
      }
    } finally {
      out.mockRestore();
    }
  });
});
