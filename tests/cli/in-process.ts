import { vi } from "vitest";
import { main } from "../../cli/main.ts";

/** Runs the CLI in this process (no tsx start-up per call), returning its exit code and stderr. */
export async function synthInProcess(...args: string[]): Promise<{ code: number; stderr: string }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    return { code: await main(["node", "synth", ...args]), stderr: chunks.join("") };
  } finally {
    spy.mockRestore();
  }
}
