import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  completions,
  createOwnerWithDataset,
  enqueueGeneration,
  startPlatform,
  waitForStatuses,
  type Platform,
} from "./harness.ts";

let p: Platform;
beforeAll(async () => {
  p = await startPlatform("synth_runner_scale");
}, 180_000);
afterAll(async () => p?.close(), 60_000);

describe("three runner processes share one queue", () => {
  it("run 30 small jobs, each succeeding exactly once, none lost", async () => {
    const runners = await Promise.all([p.startRunner(), p.startRunner(), p.startRunner()]);
    const owners = await Promise.all([0, 1, 2].map(() => createOwnerWithDataset(p)));
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await enqueueGeneration(p, owners[i % 3]));

    const rows = await waitForStatuses(p, ids, ["succeeded", "failed", "canceled"], 300_000);
    expect(rows.filter((r) => r.status !== "succeeded")).toEqual([]);
    for (const r of rows) {
      expect(r.attempts).toBe(1);
      expect(r.locked_by).toBeNull();
      expect(r.result_paths).not.toBeNull();
    }

    // One recorded completion per job, across all runners' logs.
    const done = completions(runners);
    expect([...done.keys()].sort()).toEqual([...ids].sort());
    for (const id of ids) expect(done.get(id)).toHaveLength(1);

    // Every runner took part (the queue is shared, not owned by whoever claims first).
    const perRunner = runners.map((r) => r.logs().filter((l) => l.message === "job succeeded").length);
    expect(perRunner.reduce((a, b) => a + b, 0)).toBe(30);
    expect(perRunner.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);

    // And the metrics agree with the logs.
    let succeeded = 0;
    for (const r of runners) {
      const text = await (await fetch(`${r.url}/metrics`)).text();
      const m = /^synth_runner_jobs_succeeded_total\{[^}]*kind="generation"[^}]*\} (\d+)/m.exec(text);
      succeeded += m ? Number(m[1]) : 0;
      expect(text).toMatch(/^# TYPE synth_runner_queue_wait_seconds histogram$/m);
      expect(text).toMatch(/^synth_runner_run_seconds_count\{/m);
    }
    expect(succeeded).toBe(30);

    // A graceful stop with nothing running exits 0.
    for (const r of runners) r.kill("SIGTERM");
    expect(await Promise.all(runners.map((r) => r.exited))).toEqual([0, 0, 0]);
  }, 420_000);
});
