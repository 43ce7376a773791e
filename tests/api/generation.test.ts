import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDataset, createGeneration } from "../db/fixtures.ts";
import { diskStorageFixture } from "./disk-storage.ts";
import {
  post,
  randomId,
  readyDataset,
  startBody,
  succeededJob,
  type SucceededJob,
} from "./generation-fixtures.ts";
import { createHarness, type ApiResponse, type Harness } from "./harness.ts";
import { runMatrix } from "./matrix.ts";

const disk = diskStorageFixture();
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ storage: disk.factory });
});
afterAll(async () => {
  await h.close();
  await disk.close();
});

const problemsOf = (res: ApiResponse) =>
  (res.body.error?.details.problems as { path: string; message: string }[] | undefined) ?? [];
const pathsOf = (res: ApiResponse) => problemsOf(res).map((p) => p.path);

describe("POST /generation/start", () => {
  it("creates a queued request as the caller, hyperparameters without the model's name, conditions in run_options", async () => {
    const user = await h.user();
    const dataset = await readyDataset(h, user);
    const res = await post(
      h,
      "/generation/start",
      user,
      startBody(dataset, { conditions: { smoker: "yes" }, include_metadata: true, output_format: "parquet" }),
    );
    expect(res.status, res.text).toBe(201);
    const data = res.body.data as { id: string; status: string };
    expect(data.status).toBe("queued");
    const [row] = await h.su`select owner_id, dataset_id, model_type, model_config, run_options, sample_size,
                                    output_format, seed, status from public.generation_requests where id = ${data.id}`;
    expect(row).toMatchObject({
      owner_id: user.id,
      dataset_id: dataset,
      model_type: "ctgan",
      model_config: { epochs: 5 },
      run_options: { conditions: { smoker: "yes" }, include_metadata: true },
      sample_size: 100,
      output_format: "parquet",
      seed: "7",
      status: "queued",
    });
  });

  it("refuses an invalid body with every problem and its path, the models' zod rules included", async () => {
    const user = await h.user();
    const dataset = await readyDataset(h, user);
    const res = await post(h, "/generation/start", user, {
      dataset_id: "not-a-uuid",
      sample_size: 0,
      model_config: {
        model_type: "ctgan",
        epochs: -1,
        generator_dim: [256, 0],
        dropout: 0.5,
        log_frequency: "yes",
      },
      output_format: "xml",
      seed: -3,
      extra: true,
    });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe("VALIDATION_ERROR");
    expect(pathsOf(res).sort()).toEqual(
      [
        "dataset_id",
        "sample_size",
        "model_config.epochs",
        "model_config.generator_dim.1",
        "model_config.dropout",
        "model_config.log_frequency",
        "output_format",
        "seed",
        "",
      ].sort(),
    );
    const other = await post(h, "/generation/start", user, {
      ...startBody(dataset),
      model_config: { model_type: "ctgan", batch_size: 25, pac: 10 },
    });
    expect(pathsOf(other)).toEqual(["model_config.batch_size"]);
    const unknownModel = await post(h, "/generation/start", user, {
      ...startBody(dataset),
      model_config: { model_type: "gpt", epochs: 3 },
    });
    expect(pathsOf(unknownModel)).toEqual(["model_config.model_type"]);
    const copula = await post(h, "/generation/start", user, {
      ...startBody(dataset),
      model_config: { model_type: "gaussian_copula", epochs: 3 },
    });
    expect(problemsOf(copula).map(({ path, message }) => ({ path, message }))).toEqual([
      { path: "model_config.epochs", message: "unknown hyperparameter of gaussian_copula" },
    ]);
  });

  it("answers 404 for another user's dataset and 409 with the status for a dataset that is not ready", async () => {
    const user = await h.user();
    const stranger = await h.user();
    const theirs = await readyDataset(h, stranger);
    const res = await post(h, "/generation/start", user, startBody(theirs));
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe("NOT_FOUND");
    expect((await post(h, "/generation/start", user, startBody(randomId()))).status).toBe(404);
    const uploaded = await createDataset(h.su, user.id, "uploaded");
    const notReady = await post(h, "/generation/start", user, startBody(uploaded));
    expect(notReady.status).toBe(409);
    expect(notReady.body.error).toMatchObject({ code: "CONFLICT", details: { status: "uploaded" } });
    const [{ n }] =
      await h.su`select count(*)::int as n from public.generation_requests where owner_id = ${user.id}`;
    expect(n).toBe(0);
  });

  it("checks conditions against the dataset's columns: unknown and non-categorical columns by path", async () => {
    const user = await h.user();
    const dataset = await readyDataset(h, user);
    const res = await post(
      h,
      "/generation/start",
      user,
      startBody(dataset, { conditions: { smoker: "no", nope: 1, age: 30 } }),
    );
    expect(res.status).toBe(400);
    expect(pathsOf(res).sort()).toEqual(["conditions.age", "conditions.nope"]);
    expect(problemsOf(res).find((p) => p.path === "conditions.age")?.message).toMatch(
      /categorical or boolean/,
    );
  });

  it("enforces the platform's limits through the insert trigger: rows and epochs as 400 with the path", async () => {
    const user = await h.user();
    const dataset = await readyDataset(h, user);
    const rows = await post(h, "/generation/start", user, startBody(dataset, { sample_size: 1_000_001 }));
    expect(rows.status).toBe(400);
    expect(rows.body.error).toMatchObject({ code: "VALIDATION_ERROR", details: { limit: 1_000_000 } });
    expect(pathsOf(rows)).toEqual(["sample_size"]);
    const epochs = await post(h, "/generation/start", user, {
      ...startBody(dataset),
      model_config: { model_type: "tvae", epochs: 2001, compress_dims: [64, 64, 64, 64, 64, 64, 64, 64, 64] },
    });
    expect(epochs.status).toBe(400);
    expect(pathsOf(epochs).sort()).toEqual(["model_config.compress_dims", "model_config.epochs"]);
    // The database's 'generator_dim[1]: ...' becomes the same dotted path zod would give.
    const width = await post(h, "/generation/start", user, {
      ...startBody(dataset),
      model_config: { model_type: "ctgan", generator_dim: [256, 4096] },
    });
    expect(problemsOf(width)).toEqual([
      { path: "model_config.generator_dim.1", message: "must be at most 2048" },
    ]);
    const [{ n }] =
      await h.su`select count(*)::int as n from public.generation_requests where owner_id = ${user.id}`;
    expect(n).toBe(0);
  });

  it("answers 409 (reason active_jobs) once the caller has as many active jobs as the platform allows", async () => {
    const user = await h.user();
    const dataset = await readyDataset(h, user);
    for (let i = 0; i < 5; i++) await createGeneration(h.su, user.id, dataset);
    const res = await post(h, "/generation/start", user, startBody(dataset));
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "CONFLICT", details: { reason: "active_jobs", limit: 5 } });
  });

  it("puts the request in pending_approval when the platform requires approval", async () => {
    // A database of its own: CI runs every file on one database at once, and this setting is platform-wide.
    const own = await createHarness({ ownDatabase: true });
    let res: ApiResponse;
    try {
      const user = await own.user();
      const dataset = await readyDataset(own, user);
      await own.su`update public.platform_settings set value = 'true' where key = 'generation_requires_approval'`;
      res = await post(own, "/generation/start", user, startBody(dataset));
    } finally {
      await own.close();
    }
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ status: "pending_approval" });
  });

  it("is rate limited across requests (counted in Postgres) with 429 and Retry-After", async () => {
    const limited = await createHarness({ env: { SYNTH_RATE_GENERATIONS_PER_HOUR: "2" } });
    try {
      const user = await limited.user();
      const dataset = await readyDataset(limited, user);
      expect((await post(limited, "/generation/start", user, startBody(dataset))).status).toBe(201);
      expect((await post(limited, "/generation/start", user, startBody(dataset))).status).toBe(201);
      const third = await post(limited, "/generation/start", user, startBody(dataset));
      expect(third.status).toBe(429);
      expect(third.body.error?.code).toBe("RATE_LIMITED");
      expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  it("authorisation matrix", async () => {
    await runMatrix(h, {
      arrange: (hh, owner) => readyDataset(hh, owner),
      act: (hh, caller, dataset) => post(hh, "/generation/start", caller, startBody(dataset)),
      // An admin sees the dataset through RLS but a job runs on its owner's data only.
      expect: { anon: 401, owner: 201, other: 404, disabled: 403, admin: 404 },
    });
  });
});

describe("GET /generation/requests", () => {
  it("pages the caller's requests newest first and filters by status", async () => {
    const user = await h.user();
    const dataset = await readyDataset(h, user);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await createGeneration(h.su, user.id, dataset));
    await h.su`update public.generation_requests set created_at = now() - make_interval(mins => 10 - ${ids.indexOf(ids[0])})
               where id = ${ids[0]}`;
    await h.su`update public.generation_requests set cancel_requested = true where id = ${ids[1]}`;
    const first = await h.call("/generation/requests?page=1&page_size=2", { token: user.token });
    expect(first.status).toBe(200);
    const page = first.body.data as {
      items: { id: string; status: string }[];
      total: number;
      page_size: number;
    };
    expect(page.total).toBe(3);
    expect(page.items.map((i) => i.id)).toEqual([ids[2], ids[1]]);
    const second = (await h.call("/generation/requests?page=2&page_size=2", { token: user.token })).body
      .data as typeof page;
    expect(second.items.map((i) => i.id)).toEqual([ids[0]]);
    const canceled = (await h.call("/generation/requests?status=canceled", { token: user.token })).body
      .data as typeof page;
    expect(canceled).toMatchObject({ total: 1, items: [{ id: ids[1], status: "canceled" }] });
    const bad = await h.call("/generation/requests?status=done&page_size=101", { token: user.token });
    expect(bad.status).toBe(400);
    expect(pathsOf(bad).sort()).toEqual(["page_size", "status"]);
  });

  it("authorisation matrix", async () => {
    await runMatrix(h, {
      arrange: async (hh, owner) => createGeneration(hh.su, owner.id, await readyDataset(hh, owner)),
      act: (hh, caller) => hh.call("/generation/requests", { token: caller?.token ?? null }),
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
      check: (res, who, id) => {
        const ids = (res.body.data as { items: { id: string }[] }).items.map((i) => i.id);
        expect(ids.includes(id), who).toBe(who === "owner");
      },
    });
  });
});

describe("GET /generation/status/{id}", () => {
  it("answers progress from the runner's jsonb, and nothing invented when it is not the documented shape", async () => {
    const user = await h.user();
    const id = await createGeneration(h.su, user.id, await readyDataset(h, user));
    const none = (await h.call(`/generation/status/${id}`, { token: user.token })).body.data as Record<
      string,
      unknown
    >;
    expect(none).toMatchObject({
      id,
      status: "queued",
      progress: null,
      quality_summary: null,
      downloads: null,
    });
    await h.su`update public.generation_requests set status = 'running', locked_by = 'r', locked_until = now() + interval '1 minute',
                 progress = ${h.su.json({ phase: "training", epoch: 3, epochs: 10, losses: { loss: 1.25 }, elapsed_seconds: 4.5, eta_seconds: 10.5, updated_at: "2026-12-02T05:00:00Z" })}
               where id = ${id}`;
    const running = await h.call(`/generation/status/${id}`, { token: user.token });
    expect(running.body.data).toMatchObject({
      status: "running",
      progress: {
        phase: "training",
        epoch: 3,
        epochs: 10,
        losses: { loss: 1.25 },
        elapsed_seconds: 4.5,
        eta_seconds: 10.5,
        updated_at: "2026-12-02T05:00:00Z",
      },
    });
    await h.su`update public.generation_requests set progress = ${h.su.json({ epoch: "three" })} where id = ${id}`;
    expect((await h.call(`/generation/status/${id}`, { token: user.token })).body.data).toMatchObject({
      progress: null,
    });
    await h.su`update public.generation_requests set status = 'failed', error = ${h.su.json({ code: "ABORTED", message: "stopped" })} where id = ${id}`;
    expect((await h.call(`/generation/status/${id}`, { token: user.token })).body.data).toMatchObject({
      status: "failed",
      error: { code: "ABORTED", message: "stopped" },
    });
  });

  it("answers the quality summary and what can be downloaded once the job succeeded; 404 for an unknown id, 400 for a malformed one", async () => {
    const user = await h.user();
    const job = await succeededJob(h, disk, user);
    const res = await h.call(`/generation/status/${job.id}`, { token: user.token });
    expect(res.body.data).toMatchObject({
      status: "succeeded",
      quality_summary: { overall: 0.87 },
      downloads: { formats: ["csv", "json"], artifacts: ["data", "report"] },
      progress: { epoch: 5, epochs: 5 },
    });
    expect((await h.call(`/generation/status/${randomId()}`, { token: user.token })).status).toBe(404);
    const malformed = await h.call(`/generation/status/abc`, { token: user.token });
    expect(malformed.status).toBe(400);
    expect(pathsOf(malformed)).toEqual(["id"]);
  });

  it("authorisation matrix", async () => {
    await runMatrix(h, {
      arrange: async (hh, owner) => createGeneration(hh.su, owner.id, await readyDataset(hh, owner)),
      act: (hh, caller, id) => hh.call(`/generation/status/${id}`, { token: caller?.token ?? null }),
      expect: { anon: 401, owner: 200, other: 404, disabled: 403, admin: 200 },
      check: (res, _who, id) => expect(res.body.data).toMatchObject({ id }),
    });
  });
});

describe("GET /generation/download/{id}", () => {
  let user: Awaited<ReturnType<Harness["user"]>>;
  let job: SucceededJob;
  beforeAll(async () => {
    user = await h.user();
    job = await succeededJob(h, disk, user);
  });
  const download = (query: string, token = user.token) =>
    h.call(`/generation/download/${job.id}${query}`, { token });

  it("answers a short-lived signed URL that downloads the table's bytes, the request's format by default", async () => {
    const res = await download("");
    expect(res.status, res.text).toBe(200);
    const link = res.body.data as {
      url: string;
      format: string;
      bucket: string;
      path: string;
      expires_in: number;
    };
    expect(link).toMatchObject({
      format: "csv",
      artifact: "data",
      bucket: "synthetic",
      path: `${user.id}/${job.id}/synthetic.csv`,
      expires_in: 300,
      file_name: `synthetic-${job.id.slice(0, 8)}.csv`,
    });
    const file = await disk.fetchSigned(link.url);
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(job.csv);
    expect(file.headers.get("content-disposition")).toContain(`synthetic-${job.id.slice(0, 8)}.csv`);
    const json = (await download("?format=json")).body.data as { url: string };
    expect(new Uint8Array(await (await disk.fetchSigned(json.url)).arrayBuffer())).toEqual(job.json);
    const report = (await download("?artifact=report")).body.data as { url: string; bucket: string };
    expect(report.bucket).toBe("reports");
    expect(new Uint8Array(await (await disk.fetchSigned(report.url)).arrayBuffer())).toEqual(job.report);
  });

  it("redirects to the signed URL with redirect=true", async () => {
    const res = await download("?redirect=true");
    expect(res.status).toBe(302);
    const file = await disk.fetchSigned(res.headers.get("location") ?? "");
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(job.csv);
  });

  it("answers 404 with what is available for a format or artifact the job did not produce", async () => {
    const parquet = await download("?format=parquet");
    expect(parquet.status).toBe(404);
    expect(parquet.body.error?.details).toMatchObject({
      available_formats: ["csv", "json"],
      available_artifacts: ["data", "report"],
    });
    const model = await download("?artifact=model");
    expect(model.status).toBe(404);
    expect(model.body.error?.message).toMatch(/available: data, report/);
    expect((await download("?format=xml")).status).toBe(400);
  });

  it("answers 409 for a request that has not succeeded", async () => {
    const queued = await createGeneration(h.su, user.id, job.datasetId);
    const res = await h.call(`/generation/download/${queued}`, { token: user.token });
    expect(res.status).toBe(409);
    expect(res.body.error?.details).toMatchObject({ status: "queued" });
  });

  it("authorisation matrix (admins read every synth bucket by policy)", async () => {
    await runMatrix(h, {
      arrange: (hh, owner) => succeededJob(hh, disk, owner),
      act: (hh, caller, j) => hh.call(`/generation/download/${j.id}`, { token: caller?.token ?? null }),
      expect: { anon: 401, owner: 200, other: 404, disabled: 403, admin: 200 },
      check: async (res, who, j) => {
        const file = await disk.fetchSigned((res.body.data as { url: string }).url);
        expect(new Uint8Array(await file.arrayBuffer()), who).toEqual(j.csv);
      },
    });
  });
});

describe("DELETE /generation/requests/{id}", () => {
  const cancel = (id: string, token: string | null) =>
    h.call(`/generation/requests/${id}`, { method: "DELETE", token });

  it("cancels a queued request at once and asks the runner to stop a running one", async () => {
    const user = await h.user();
    const dataset = await readyDataset(h, user);
    const queued = await createGeneration(h.su, user.id, dataset);
    const res = await cancel(queued, user.token);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ id: queued, status: "canceled", cancel_requested: true });
    const [row] =
      await h.su`select status, cancel_requested from public.generation_requests where id = ${queued}`;
    expect(row).toEqual({ status: "canceled", cancel_requested: true });
    const running = await createGeneration(h.su, user.id, dataset);
    await h.su`update public.generation_requests set status = 'running', locked_by = 'r', locked_until = now() + interval '1 minute' where id = ${running}`;
    expect((await cancel(running, user.token)).body.data).toEqual({
      id: running,
      status: "running",
      cancel_requested: true,
    });
  });

  it("answers 409 INVALID_STATE_TRANSITION for a finished request (succeeded, canceled)", async () => {
    const user = await h.user();
    const job = await succeededJob(h, disk, user);
    const res = await cancel(job.id, user.token);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: "INVALID_STATE_TRANSITION",
      details: { status: "succeeded" },
    });
    const [row] = await h.su`select cancel_requested from public.generation_requests where id = ${job.id}`;
    expect(row.cancel_requested).toBe(false);
    const queued = await createGeneration(h.su, user.id, job.datasetId);
    expect((await cancel(queued, user.token)).status).toBe(200);
    expect((await cancel(queued, user.token)).status).toBe(409);
    expect((await cancel(randomId(), user.token)).status).toBe(404);
  });

  it("authorisation matrix (owner cancels only: an admin who can read it is refused)", async () => {
    await runMatrix(h, {
      arrange: async (hh, owner) => createGeneration(hh.su, owner.id, await readyDataset(hh, owner)),
      act: (hh, caller, id) => cancel(id, caller?.token ?? null),
      expect: { anon: 401, owner: 200, other: 404, disabled: 403, admin: 403 },
    });
  });
});
