import { createServer, request, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createOwnerWithDataset,
  enqueueGeneration,
  freePort,
  jobRows,
  startPlatform,
  waitFor,
  waitForStatuses,
  type Platform,
} from "./harness.ts";

/** A proxy in front of the Storage server that answers 503 while `failing` is set. */
function storageProxy(target: string, port: number) {
  const state = { failing: false, refused: 0 };
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    if (state.failing && (req.url ?? "").startsWith("/storage/v1")) {
      state.refused++;
      req.resume();
      res.writeHead(503, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ statusCode: "503", error: "Service Unavailable", message: "storage is down" }),
      );
      return;
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  return {
    state,
    url: `http://127.0.0.1:${port}`,
    listen: () => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve())),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let p: Platform;
let proxy: ReturnType<typeof storageProxy>;
beforeAll(async () => {
  p = await startPlatform("synth_runner_storage");
  proxy = storageProxy(p.apiUrl, await freePort());
  await proxy.listen();
}, 180_000);
afterAll(async () => {
  await proxy?.close();
  await p?.close();
}, 60_000);

describe("Storage failing for a while", () => {
  it("the job fails retryably, is retried after the SQL backoff and succeeds; no half-written result is referenced", async () => {
    const runner = await p.startRunner({ SUPABASE_URL: proxy.url });
    const owner = await createOwnerWithDataset(p);
    proxy.state.failing = true;
    const id = await enqueueGeneration(p, owner);
    const queuedAgain = await waitFor("the first attempt to fail", async () => {
      const [row] = await p.su<
        {
          status: string;
          attempts: number;
          error: { code: string } | null;
          result_paths: unknown;
          wait: number;
        }[]
      >`
        select status, attempts, error, result_paths, extract(epoch from run_after - now())::float8 as wait
          from public.generation_requests where id = ${id}`;
      return row.status === "queued" && row.attempts === 1 ? row : null;
    });
    expect(queuedAgain.error?.code).toBe("STORAGE_ERROR");
    expect(queuedAgain.result_paths).toBeNull();
    expect(queuedAgain.wait).toBeGreaterThan(3); // backoff computed in SQL (10 s +- 20 % for attempt 1)
    expect(proxy.state.refused).toBeGreaterThan(0);
    proxy.state.failing = false;
    const [row] = await waitForStatuses(p, [id], ["succeeded", "failed"], 60_000);
    expect(row).toMatchObject({ status: "succeeded", attempts: 2, error: null });
    const paths = JSON.stringify(row.result_paths);
    expect(paths).toContain(`${owner.userId}/${id}/`);
    const objects = await p.storage
      .asServiceRole("test: read results")
      .list("synthetic", `${owner.userId}/${id}`);
    expect(objects.length).toBeGreaterThan(0);
    runner.kill("SIGTERM");
    expect(await runner.exited).toBe(0);
  }, 120_000);

  it("still down after max_attempts: failed, with the error recorded and no results", async () => {
    await p.su`update public.platform_settings set value = '1' where key = 'job_max_attempts'`;
    const runner = await p.startRunner({ SUPABASE_URL: proxy.url });
    const owner = await createOwnerWithDataset(p);
    proxy.state.failing = true;
    const id = await enqueueGeneration(p, owner);
    const [row] = await waitForStatuses(p, [id], ["failed", "succeeded"], 60_000);
    proxy.state.failing = false;
    expect(row).toMatchObject({ status: "failed", attempts: 1, result_paths: null });
    expect(row.error?.code).toBe("STORAGE_ERROR");
    expect((await jobRows(p, [id]))[0].locked_by).toBeNull();
    runner.kill("SIGTERM");
    expect(await runner.exited).toBe(0);
  }, 120_000);
});
