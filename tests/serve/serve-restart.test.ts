import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { smallCsv, sleep } from "../runner/harness.ts";
import { createScratchDatabase, type ScratchDatabase } from "../setup/scratch-database.ts";
import { clientOf, signedUpClient, startServe, type Served } from "./serve-harness.ts";

/**
 * Stopping `synth serve` in the middle of a training and starting it again on the same data directory:
 * users, files and the job survive, and the job, handed back by the stopping runner, runs again to the end.
 */

interface Status {
  status: string;
  attempts?: number;
  progress?: { epoch?: number } | null;
}

async function statusOf(served: Served, token: string, id: string): Promise<Status> {
  const res = await fetch(`${served.url}/functions/v1/api/generation/status/${id}`, {
    headers: { apikey: served.anonKey, authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Status }).data;
}

async function waitFor(
  served: Served,
  token: string,
  id: string,
  done: (s: Status) => boolean,
  timeoutMs = 180_000,
): Promise<Status> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await statusOf(served, token, id);
    if (done(s)) return s;
    if (Date.now() > end) throw new Error(`timed out; last status ${JSON.stringify(s)}`);
    await sleep(200);
  }
}

const DATABASES = ["embedded", "postgres"] as const;

describe.each(DATABASES)("synth serve restart (%s database)", (database) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }, 60_000);

  it("keeps users, files and the interrupted job, which runs again and finishes", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "synth-serve-restart-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    let scratch: ScratchDatabase | undefined;
    if (database === "postgres") {
      scratch = await createScratchDatabase("synth_serve_restart");
      cleanups.push(() => scratch!.drop());
    }
    const start = () => startServe({ dataDir, databaseUrl: scratch?.url });

    const first = await start();
    cleanups.push(async () => void (await first.stop("SIGKILL")));
    const a = await signedUpClient(first);
    const path = `${a.id}/people.csv`;
    const csv = smallCsv(400);
    expect(
      (await a.c.storage.from("datasets").upload(path, new Blob([csv]), { contentType: "text/csv" })).error,
    ).toBeNull();
    const token = (await a.c.auth.getSession()).data.session!.access_token;
    const call = async (served: Served, route: string, body: unknown) => {
      const res = await fetch(`${served.url}/functions/v1/api/${route}`, {
        method: "POST",
        headers: {
          apikey: served.anonKey,
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
        },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { data: { id: string } }).data;
    };
    const dataset = await call(first, "upload/register", { path, name: "people" });
    for (let i = 0; ; i++) {
      const res = await fetch(`${first.url}/functions/v1/api/upload/datasets/${dataset.id}`, {
        headers: { apikey: first.anonKey, authorization: `Bearer ${token}` },
      });
      if (((await res.json()) as { data: { status: string } }).data.status === "ready") break;
      expect(i).toBeLessThan(600);
      await sleep(200);
    }
    // Long enough to be stopped in the middle: TVAE, many epochs on 400 rows.
    const job = await call(first, "generation/start", {
      dataset_id: dataset.id,
      sample_size: 100,
      model_config: { model_type: "tvae", epochs: 250, batch_size: 100 },
      output_format: "csv",
      seed: 5,
    });
    await waitFor(first, token, job.id, (s) => s.status === "running" && (s.progress?.epoch ?? 0) >= 1);

    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.proc.lines.some((l) => l.includes('"message":"runner stopped"'))).toBe(true);

    const second = await start();
    cleanups.push(async () => void (await second.stop("SIGKILL")));
    expect(second.anonKey).toBe(first.anonKey);
    // The user signs in again with the same password; the file is where it was.
    const again = clientOf(second);
    const signIn = await again.auth.signInWithPassword({ email: a.email, password: a.password });
    expect(signIn.error).toBeNull();
    const file = await again.storage.from("datasets").download(path);
    expect(file.error).toBeNull();
    expect(await file.data!.text()).toBe(csv);

    const token2 = signIn.data.session!.access_token;
    const final = await waitFor(second, token2, job.id, (s) =>
      ["succeeded", "failed", "canceled"].includes(s.status),
    );
    expect(final.status).toBe("succeeded");
    expect(final.attempts).toBe(2);
    expect(await second.stop("SIGTERM")).toBe(0);
  }, 420_000);
});
