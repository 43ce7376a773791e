import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser } from "../../shared/platform/db.ts";
import { systemClock } from "../../shared/platform/clock.ts";
import type { StoragePort } from "../../shared/platform/storage.ts";
import { loadRunnerConfig } from "../../training-runner/config.ts";
import { createQueue, type Queue } from "../../training-runner/queue.ts";
import { createRunner, type Runner } from "../../training-runner/runner.ts";
import { createDataset, createGeneration, createUser, type TestUser } from "../db/fixtures.ts";
import { openPgliteContractDb, quietLogger } from "./fixture.ts";

/**
 * The runner inside `synth serve`'s process on the embedded database: claims, renewals and completions go
 * through the same serialized session as the API's transactions. A job whose compute runs in a worker
 * thread for several lease lengths must keep its lease while the main thread serves a steady stream of
 * request transactions (none of which may deadlock with the runner's).
 */
let fx: Awaited<ReturnType<typeof openPgliteContractDb>>;
let user: TestUser;

beforeAll(async () => {
  fx = await openPgliteContractDb();
  await fx.su`update public.platform_settings set value = '1000' where key = 'max_active_jobs_per_user'`;
  user = await createUser(fx.su);
});
afterAll(async () => {
  await fx?.close();
});

const LEASE_SECONDS = 2;

/** Busy CPU in a worker thread for ms, as the job thread trains a model. */
function computeInWorker(ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads");
       const end = Date.now() + workerData; let x = 0;
       while (Date.now() < end) x += Math.sqrt(x + 1);
       parentPort.postMessage(x);`,
      { eval: true, workerData: ms },
    );
    worker.once("message", () => resolve());
    worker.once("error", reject);
  });
}

/** The queue, with its renewals counted. */
function countingQueue(runnerId: string): { queue: Queue; renewals: () => number } {
  const queue = createQueue(fx.db, runnerId);
  let renewals = 0;
  return {
    queue: {
      ...queue,
      renew: async (job, lease) => {
        const renewed = await queue.renew(job, lease);
        if (renewed !== null) renewals += 1;
        return renewed;
      },
    },
    renewals: () => renewals,
  };
}

function startRunner(runnerId: string, queue: Queue, computeMs: number): Runner {
  const config = loadRunnerConfig({
    DATABASE_URL: "embedded",
    SUPABASE_URL: "http://127.0.0.1:1",
    SUPABASE_SERVICE_ROLE_KEY: "unused",
    RUNNER_ID: runnerId,
    RUNNER_KINDS: "generation",
    RUNNER_LEASE_SECONDS: String(LEASE_SECONDS),
    // Long: a job queued after the start is found through LISTEN/NOTIFY, not the poll.
    RUNNER_POLL_SECONDS: "600",
    RUNNER_HEARTBEAT_SECONDS: "1",
  });
  return createRunner(config, {
    db: fx.db,
    listen: fx.local.listen,
    queue,
    storage: {} as StoragePort,
    logger: quietLogger,
    clock: systemClock,
    execute: {
      generation: async (_job, ctx) => {
        await ctx.progress({ epoch: 1 });
        await computeInWorker(computeMs);
        return { result_paths: { synthetic: "x/synthetic.csv" }, quality_summary: { overall: 0.5 } };
      },
    },
  });
}

async function statusOf(id: string): Promise<{ status: string; attempts: number; error: unknown }> {
  const [row] = await fx.su<{ status: string; attempts: number; error: unknown }[]>`
    select status, attempts, error from public.generation_requests where id = ${id}`;
  return row;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("the runner on the embedded database", () => {
  it("is woken by NOTIFY, keeps its lease through a long job while request transactions run, and completes", async () => {
    const runnerId = `pglite-runner-${user.id.slice(0, 8)}`;
    const { queue, renewals } = countingQueue(runnerId);
    // Four lease lengths of compute: without renewals the lease would have expired three times over.
    const runner = startRunner(runnerId, queue, LEASE_SECONDS * 4000);
    await runner.start();
    try {
      await until(async () => runner.status().listening, "the runner to listen");
      const datasetId = await createDataset(fx.su, user.id);
      const job = await createGeneration(fx.su, user.id, datasetId);

      // API-like traffic in the main thread meanwhile: four clients, each a request transaction after
      // another (as the user: read own rows, write one), back to back without pause.
      let done = false;
      let requests = 0;
      const client = async () => {
        while (!done) {
          await asUser(fx.db, user.claims, async (tx) => {
            await tx.selectFrom("generation_requests").select(["id", "status"]).execute();
            await tx
              .updateTable("profiles")
              .set({ display_name: `n${requests}` })
              .where("id", "=", user.id)
              .execute();
          });
          requests += 1;
        }
      };
      const clients = Promise.all([client(), client(), client(), client()]);
      try {
        await until(async () => (await statusOf(job)).status === "succeeded", "the job to succeed");
      } finally {
        done = true;
        await clients;
      }
      const row = await statusOf(job);
      expect(row).toMatchObject({ status: "succeeded", attempts: 1, error: null });
      expect(renewals()).toBeGreaterThanOrEqual(3);
      expect(requests).toBeGreaterThan(0);
      const wakeups = (await runner.metrics.wakeups.get()).values;
      expect(wakeups.find((v) => v.labels.source === "notify")?.value ?? 0).toBeGreaterThanOrEqual(1);
    } finally {
      await runner.stop({ graceMs: 1000 });
    }
  });
});
