import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createOwnerWithDataset,
  enqueueGeneration,
  jobRows,
  smallCsv,
  startPlatform,
  waitFor,
  waitForStatuses,
  type Platform,
} from "./harness.ts";

let p: Platform;
beforeAll(async () => {
  p = await startPlatform("synth_runner_control");
}, 180_000);
afterAll(async () => p?.close(), 60_000);

const long = { model: "ctgan" as const, modelConfig: { epochs: 400, batch_size: 50 }, sampleSize: 20 };

describe("control of jobs by real runner processes", () => {
  it("cancel while queued: never claimed; cancel while running: stopped and canceled", async () => {
    const owner = await createOwnerWithDataset(p, smallCsv(100));
    const queued = await enqueueGeneration(p, owner);
    await p.su`update public.generation_requests set cancel_requested = true where id = ${queued}`;
    const runner = await p.startRunner();
    const running = await enqueueGeneration(p, owner, long);
    await waitFor("training under way", async () => {
      const [row] = await jobRows(p, [running]);
      return row.status === "running" && Number(row.progress.epoch ?? 0) >= 1;
    });
    await p.su`update public.generation_requests set cancel_requested = true where id = ${running}`;
    const [row] = await waitForStatuses(p, [running], ["canceled", "succeeded", "failed"], 60_000);
    expect(row.status).toBe("canceled");
    expect(row.result_paths).toBeNull();
    const [q] = await jobRows(p, [queued]);
    expect(q).toMatchObject({ status: "canceled", attempts: 0 });
    expect(runner.logs().some((l) => l.message === "job canceled" && l.job_id === running)).toBe(true);
    runner.kill("SIGTERM");
    expect(await runner.exited).toBe(0);
  }, 180_000);

  it("a job past the runner's wall-clock timeout fails, not retried", async () => {
    const owner = await createOwnerWithDataset(p, smallCsv(100));
    const runner = await p.startRunner({ RUNNER_JOB_TIMEOUT_SECONDS: "3" });
    const id = await enqueueGeneration(p, owner, long);
    const [row] = await waitForStatuses(p, [id], ["failed", "succeeded"], 90_000);
    expect(row.status).toBe("failed");
    expect(row.attempts).toBe(1);
    expect(String(row.error?.code)).toMatch(/JOB_TIMEOUT|ABORTED/);
    expect(row.result_paths).toBeNull();
    runner.kill("SIGTERM");
    expect(await runner.exited).toBe(0);
  }, 180_000);

  it("a job whose dataset file was deleted fails with NOT_FOUND, once", async () => {
    const owner = await createOwnerWithDataset(p);
    const [ds] = await p.su<
      { storage_path: string }[]
    >`select storage_path from public.datasets where id = ${owner.datasetId}`;
    await p.storage.asServiceRole("test: delete the dataset's file").remove("datasets", [ds.storage_path]);
    const runner = await p.startRunner();
    const id = await enqueueGeneration(p, owner);
    const [row] = await waitForStatuses(p, [id], ["failed", "succeeded"], 60_000);
    expect(row).toMatchObject({ status: "failed", attempts: 1, result_paths: null });
    expect(row.error?.code).toBe("NOT_FOUND");
    runner.kill("SIGTERM");
    expect(await runner.exited).toBe(0);
  }, 120_000);

  it("POST /wake wants the shared secret", async () => {
    const runner = await p.startRunner();
    const wake = (headers: Record<string, string>, body = "{}") =>
      fetch(`${runner.url}/wake`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    expect((await wake({})).status).toBe(401);
    expect((await wake({ authorization: "Bearer wrong" })).status).toBe(401);
    expect((await wake({ authorization: "Bearer test-webhook-secret" })).status).toBe(202);
    expect((await wake({ "x-synth-webhook-secret": "test-webhook-secret" })).status).toBe(202);
    expect((await wake({ authorization: "Bearer test-webhook-secret" }, "x".repeat(20_000))).status).toBe(
      413,
    );
    const metrics = await (await fetch(`${runner.url}/metrics`)).text();
    expect(metrics).toMatch(/^synth_runner_wakeups_total\{[^}]*source="webhook"[^}]*\} 2$/m);
    const off = await p.startRunner({ RUNNER_WEBHOOK_SECRET: "" });
    expect(
      (await fetch(`${off.url}/wake`, { method: "POST", headers: { authorization: "Bearer " } })).status,
    ).toBe(503);
    for (const r of [runner, off]) r.kill("SIGTERM");
    expect(await Promise.all([runner.exited, off.exited])).toEqual([0, 0]);
  }, 120_000);
});
