import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { loadTable } from "../../shared/data/load.ts";
import { rowCount } from "../../shared/data/table.ts";
import { smallCsv, sleep } from "../runner/harness.ts";
import { createScratchDatabase, type ScratchDatabase } from "../setup/scratch-database.ts";
import { clientOf, signedUpClient, startServe, type Served } from "./serve-harness.ts";

/**
 * The end-to-end story, with the unmodified supabase-js client against `synth serve` as a user
 * starts it: the same code that runs against a hosted project, URL and key swapped. Run on the embedded
 * database and on the real PostgreSQL (--database-url).
 */

interface Envelope<T> {
  success: boolean;
  data: T;
}

async function invoke<T>(
  c: SupabaseClient,
  path: string,
  options: { method?: "GET" | "POST" | "PUT" | "DELETE"; body?: unknown } = {},
): Promise<{ status: number; data: T | null }> {
  const { data, error, response } = await c.functions.invoke(path, {
    method: options.method ?? "POST",
    body: options.body as Record<string, unknown> | undefined,
  });
  const status = response?.status ?? 0;
  if (error !== null) return { status, data: null };
  return { status, data: (data as Envelope<T>).data };
}

interface Update {
  status: string;
  progress: Record<string, unknown> | null;
}

function watch(c: SupabaseClient, id: string): Promise<{ channel: RealtimeChannel; updates: Update[] }> {
  const updates: Update[] = [];
  return new Promise((resolve, reject) => {
    const channel = c
      .channel(`watch-${id}-${Math.random()}`)
      .on(
        "postgres_changes",
        { event: "UPDATE", schema: "public", table: "generation_requests", filter: `id=eq.${id}` },
        (payload) => updates.push(payload.new as Update),
      )
      .subscribe((state, err) => {
        if (state === "SUBSCRIBED") resolve({ channel, updates });
        else if (state === "CHANNEL_ERROR" || state === "TIMED_OUT") reject(err ?? new Error(state));
      });
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const DATABASES = ["embedded", "postgres"] as const;

describe.each(DATABASES)("synth serve end to end (%s database)", (database) => {
  let served: Served;
  let dataDir: string;
  let scratch: ScratchDatabase | null = null;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "synth-serve-e2e-"));
    if (database === "postgres") scratch = await createScratchDatabase("synth_serve_e2e");
    served = await startServe({ dataDir, databaseUrl: scratch?.url });
  }, 180_000);

  afterAll(async () => {
    await served?.stop();
    await scratch?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("serves the whole story: sign up, upload, register, approve, watch, read, download; B sees none of it", async () => {
    const service = clientOf(served, served.serviceRoleKey);
    const a = await signedUpClient(served);
    const b = await signedUpClient(served);
    const admin = await signedUpClient(served);
    // An admin is made as on a hosted project: app_metadata through the Auth admin API.
    const promoted = await service.auth.admin.updateUserById(admin.id, { app_metadata: { role: "admin" } });
    expect(promoted.error).toBeNull();
    await admin.c.auth.signInWithPassword({ email: admin.email, password: admin.password });

    // The admin switches approval on through PostgREST (their RLS policy allows it).
    const setting = await admin.c
      .from("platform_settings")
      .update({ value: true, updated_by: admin.id })
      .eq("key", "generation_requires_approval")
      .select("key, value");
    expect(setting.error, JSON.stringify(setting.error)).toBeNull();
    expect(setting.data).toEqual([{ key: "generation_requires_approval", value: true }]);
    // Switched back off whatever happens below: the README example's request must not wait for approval.
    onTestFinished(async () => {
      const off = await admin.c
        .from("platform_settings")
        .update({ value: false, updated_by: admin.id })
        .eq("key", "generation_requires_approval");
      expect(off.error).toBeNull();
    });

    // A uploads a CSV into their folder and registers it through the API function.
    const path = `${a.id}/people.csv`;
    const upload = await a.c.storage
      .from("datasets")
      .upload(path, new Blob([smallCsv(300)], { type: "text/csv" }), { contentType: "text/csv" });
    expect(upload.error).toBeNull();
    const registered = await invoke<{ id: string; status: string }>(a.c, "api/upload/register", {
      body: { path, name: "people" },
    });
    expect(registered.status).toBe(201);
    const datasetId = registered.data!.id;
    for (let i = 0; ; i++) {
      const d = await invoke<{ status: string }>(a.c, `api/upload/datasets/${datasetId}`, { method: "GET" });
      if (d.data?.status === "ready") break;
      expect(i).toBeLessThan(600);
      await sleep(200);
    }

    const started = await invoke<{ id: string; status: string }>(a.c, "api/generation/start", {
      body: {
        dataset_id: datasetId,
        sample_size: 250,
        model_config: { model_type: "gaussian_copula" },
        output_format: "csv",
        seed: 11,
      },
    });
    expect(started.status).toBe(201);
    const id = started.data!.id;
    expect(started.data!.status).toBe("pending_approval");

    // Both watch A's request; only A may hear of it.
    const watchA = await watch(a.c, id);
    const watchB = await watch(b.c, id);

    const approved = await invoke<{ status: string }>(admin.c, `api/admin/approve/${id}`, { body: {} });
    expect(approved.status).toBe(200);

    await until("A's request to succeed", () => watchA.updates.some((u) => u.status === "succeeded"));
    const statuses = watchA.updates.map((u) => u.status);
    expect(statuses[0]).toBe("queued");
    const firstRunning = statuses.indexOf("running");
    expect(firstRunning).toBeGreaterThan(0);
    expect(statuses.at(-1)).toBe("succeeded");
    expect(
      watchA.updates.some(
        (u) => u.status === "running" && u.progress !== null && Object.keys(u.progress).length > 0,
      ),
    ).toBe(true);

    const row = await a.c
      .from("generation_requests")
      .select("id, status, result_paths, quality_summary")
      .eq("id", id)
      .single();
    expect(row.error).toBeNull();
    expect(row.data!.status).toBe("succeeded");
    const paths = row.data!.result_paths as { data: { csv: string }; html: string };
    const summary = row.data!.quality_summary as { quality: { allPairs: { overall: number } } };
    expect(summary.quality.allPairs.overall).toBeGreaterThan(0);
    expect(summary.quality.allPairs.overall).toBeLessThanOrEqual(1);

    const csvLink = await a.c.storage.from("synthetic").createSignedUrl(paths.data.csv, 60);
    expect(csvLink.error).toBeNull();
    const csv = new Uint8Array(await (await fetch(csvLink.data!.signedUrl)).arrayBuffer());
    const table = (await loadTable(csv, { format: "csv" })).table;
    expect(rowCount(table)).toBe(250);
    expect(table.columns).toEqual(["age", "income", "city"]);
    const htmlLink = await a.c.storage.from("reports").createSignedUrl(paths.html, 60);
    expect(htmlLink.error).toBeNull();
    const html = await (await fetch(htmlLink.data!.signedUrl)).text();
    expect(html).toMatch(/^<!doctype html>/i);

    // B, signed in all along: nothing of A's through REST, the API, Storage or Realtime.
    await sleep(1500);
    expect(watchB.updates).toEqual([]);
    const viaRest = await b.c.from("generation_requests").select("id").eq("id", id);
    expect(viaRest.error).toBeNull();
    expect(viaRest.data).toEqual([]);
    const datasetsOfA = await b.c.from("datasets").select("id").eq("owner_id", a.id);
    expect(datasetsOfA.data).toEqual([]);
    expect((await invoke(b.c, `api/generation/status/${id}`, { method: "GET" })).status).toBe(404);
    expect((await invoke(b.c, `api/upload/datasets/${datasetId}`, { method: "GET" })).status).toBe(404);
    expect((await b.c.storage.from("synthetic").createSignedUrl(paths.data.csv, 60)).error).not.toBeNull();
    expect((await b.c.storage.from("datasets").download(path)).error).not.toBeNull();

    await a.c.removeChannel(watchA.channel);
    await b.c.removeChannel(watchB.channel);
  }, 240_000);

  it("runs the README's supabase-js example as it is", async () => {
    const repo = new URL("../../", import.meta.url).pathname;
    const example = join(repo, "examples/platform-client.mjs");
    const readme = await readFile(join(repo, "README.md"), "utf8");
    expect(readme).toContain((await readFile(example, "utf8")).trim());
    const cwd = await mkdtemp(join(tmpdir(), "synth-serve-example-"));
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [example, join(repo, "examples/penguins.csv")],
        {
          cwd,
          env: { PATH: process.env.PATH ?? "", SUPABASE_URL: served.url, SUPABASE_ANON_KEY: served.anonKey },
          timeout: 180_000,
        },
      );
      expect(stdout).toMatch(/^succeeded/m);
      expect(stdout).toContain("wrote synthetic.csv");
      // The headline score the README's client prints is the report's overall quality, a number in [0, 1].
      expect(stdout).toMatch(/^quality (0\.\d{3}|1\.000)$/m);
      const table = (await loadTable(await readFile(join(cwd, "synthetic.csv")), { format: "csv" })).table;
      expect(rowCount(table)).toBe(500);
      expect(await readFile(join(cwd, "report.html"), "utf8")).toMatch(/^<!doctype html>/i);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  }, 240_000);
});
