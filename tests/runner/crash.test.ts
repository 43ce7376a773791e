import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  completions,
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
  p = await startPlatform("synth_runner_crash");
}, 180_000);
afterAll(async () => p?.close(), 60_000);

const training = { model: "ctgan" as const, modelConfig: { epochs: 60, batch_size: 50 }, sampleSize: 20 };

describe("a runner killed with SIGKILL in the middle of training", () => {
  it("loses the job to another runner after the lease, and its late writes are refused", async () => {
    const owner = await createOwnerWithDataset(p, smallCsv(100));
    const doomed = await p.startRunner({ RUNNER_LEASE_SECONDS: "3" });
    const id = await enqueueGeneration(p, owner, training);
    await waitFor("training to be under way on the doomed runner", async () => {
      const [row] = await jobRows(p, [id]);
      return row.status === "running" && row.locked_by === doomed.id && Number(row.progress.epoch ?? 0) >= 1;
    });
    doomed.kill("SIGKILL");
    await doomed.exited;

    const heir = await p.startRunner({ RUNNER_LEASE_SECONDS: "3" });
    const [row] = await waitForStatuses(p, [id], ["succeeded", "failed"], 180_000);
    expect(row.status).toBe("succeeded");
    expect(row.attempts).toBe(2);
    expect(completions([doomed, heir]).get(id)).toEqual([heir.id]);

    // The dead runner's id writes late: every step refuses it.
    const [late] = await p.su<{ completed: boolean; failed: string | null; renewed: number }[]>`
      select public.complete_job('generation', ${id}::uuid, ${doomed.id}, '{"result_paths": {"data": {}}}'::jsonb) as completed,
             public.fail_job('generation', ${id}::uuid, ${doomed.id}, '{"code": "X", "message": "late"}'::jsonb, true) as failed,
             (select count(*)::int from public.renew_lease('generation', ${id}::uuid, ${doomed.id}, 30)) as renewed`;
    expect(late).toEqual({ completed: false, failed: null, renewed: 0 });
    const [after] = await jobRows(p, [id]);
    expect(after.status).toBe("succeeded");
    expect(after.result_paths).toEqual(row.result_paths);
    heir.kill("SIGTERM");
    expect(await heir.exited).toBe(0);
  }, 300_000);
});

describe("the runners' database connections terminated mid-run", () => {
  // Every backend of both runners (pool and LISTEN connection), three times, while jobs train: the
  // runners' node-postgres pools replace the connections (training-runner/pg-db.ts).
  it("reconnect, and every job still finishes", async () => {
    const runners = await Promise.all([p.startRunner(), p.startRunner()]);
    const owner = await createOwnerWithDataset(p, smallCsv(100));
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(
        await enqueueGeneration(p, owner, { ...training, modelConfig: { epochs: 15, batch_size: 50 } }),
      );
    for (let i = 0; i < 8; i++) ids.push(await enqueueGeneration(p, owner));

    await waitFor("a job to be running", async () =>
      (await jobRows(p, ids)).some((r) => r.status === "running"),
    );
    let killed = 0;
    for (let round = 0; round < 3; round++) {
      const rows = await p.su<{ n: number }[]>`
        select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
         where datname = current_database() and application_name like 'synth-runner%'`;
      killed += rows[0].n;
      await new Promise((r) => setTimeout(r, 1500));
    }
    expect(killed).toBeGreaterThan(0);

    const rows = await waitForStatuses(p, ids, ["succeeded", "failed", "canceled"], 90_000).catch(
      async (e: unknown) => {
        for (const r of runners) console.log(r.lines.slice(-25).join("\n"));
        console.log(JSON.stringify(await jobRows(p, ids)));
        throw e;
      },
    );
    expect(rows.filter((r) => r.status !== "succeeded")).toEqual([]);
    const done = completions(runners);
    for (const id of ids) expect(done.get(id)).toHaveLength(1);

    // Both runners are still alive, listening again, and healthy.
    for (const r of runners) {
      expect(r.child.exitCode, r.lines.slice(-15).join("\n")).toBeNull();
      const health = await waitFor("health after the reconnect", async () => {
        const res = await fetch(`${r.url}/health`);
        const body = (await res.json()) as { ok: boolean; db_reachable: boolean; listening: boolean };
        return res.status === 200 && body.listening ? body : null;
      });
      expect(health.db_reachable).toBe(true);
    }
    for (const r of runners) r.kill("SIGTERM");
    expect(await Promise.all(runners.map((r) => r.exited))).toEqual([0, 0]);
  }, 360_000);
});
