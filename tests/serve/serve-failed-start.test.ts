import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalPlatform } from "../../local/serve/local-platform.ts";

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe("synth serve: a start that fails after the port is bound", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("releases the port and the embedded database, so the next start on the same directory works", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "synth-failed-start-"));
    dirs.push(dataDir);
    const port = await freePort();
    const base = { port, host: "127.0.0.1", dataDir, runners: 1, logSink: () => {} };
    // The runner's configuration is read after the bind: a kind it does not know fails the start there.
    await expect(
      startLocalPlatform({ ...base, env: { SUPABASE_JWT_SECRET: "x".repeat(40), RUNNER_KINDS: "bogus" } }),
    ).rejects.toThrow(/^Invalid runner configuration in the environment: RUNNER_KINDS/);

    const platform = await startLocalPlatform({ ...base, env: { SUPABASE_JWT_SECRET: "x".repeat(40) } });
    try {
      expect(platform.url).toBe(`http://127.0.0.1:${port}`);
      const health = await fetch(`${platform.url}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { database: boolean }).database).toBe(true);
    } finally {
      await platform.close();
    }
  }, 120_000);
});
