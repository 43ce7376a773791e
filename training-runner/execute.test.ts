import { createHash, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import type { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTable } from "../shared/data/load.ts";
import { rowCount } from "../shared/data/table.ts";
import { isSynthError, synthError, type SynthError } from "../shared/errors.ts";
import { reportSchema } from "../shared/metrics/report-schema.ts";
import { jobProgressSchema, type JobProgress } from "../shared/platform/job-progress.ts";
import type { BlobStore } from "../shared/platform/storage.ts";
import { decodeArtifact } from "../shared/synth/artifact.ts";
import { initNodeBackend } from "../cli/tf-backend.ts";
import { createDiskStorage, type DiskStorage } from "../local/storage/disk-store.ts";
import { createUser, openDb, type DbFixture, type TestUser } from "../tests/db/fixtures.ts";
import { accessToken, TEST_JWT_SECRET, verifyToken } from "../tests/storage/tokens.ts";
import { executeDatasetValidation } from "./execute-dataset.ts";
import { executeGeneration, type GenerationJob } from "./execute-generation.ts";
import type { DatasetRow, ExecutionContext } from "./job-context.ts";

const PENGUINS = "/work/shared/datasets/penguins.csv";
const COLUMNS = [
  "species",
  "island",
  "bill_length_mm",
  "bill_depth_mm",
  "flipper_length_mm",
  "body_mass_g",
  "sex",
  "year",
];
const GB = 2 ** 30;

let fx: DbFixture;
let parent: string;
let storage: DiskStorage;
let service: BlobStore;
let alice: TestUser;
let bob: TestUser;
let penguins: Uint8Array;
let datasetRow: DatasetRow;

async function failure(promise: Promise<unknown>): Promise<SynthError> {
  try {
    await promise;
  } catch (error) {
    if (isSynthError(error)) return error;
    throw error;
  }
  throw new Error("expected the job to fail");
}

function jobOf(overrides: Partial<GenerationJob> = {}): GenerationJob {
  return {
    id: randomUUID(),
    owner_id: alice.id,
    dataset_id: datasetRow.id,
    model_type: "gaussian_copula",
    model_config: {},
    sample_size: 120,
    output_format: "csv",
    seed: "7",
    run_options: {},
    ...overrides,
  };
}

/** Progress as the claim loop would write it, with the time of each write. */
function progressLog() {
  const writes: { at: number; progress: JobProgress }[] = [];
  return {
    writes,
    reportProgress: (progress: JobProgress) => {
      writes.push({ at: performance.now(), progress: jobProgressSchema.parse(progress) });
    },
  };
}

function ctxOf(overrides: Partial<ExecutionContext> = {}): ExecutionContext {
  return {
    storage: service,
    datasetRow,
    signal: new AbortController().signal,
    reportProgress: () => {},
    limits: { memoryBytes: 4 * GB },
    ...overrides,
  };
}

beforeAll(async () => {
  fx = openDb();
  parent = await mkdtemp(join(tmpdir(), "synth-executor-"));
  const root = join(parent, "blobs");
  await mkdir(root);
  storage = createDiskStorage({
    root,
    db: fx.db,
    verify: verifyToken,
    jwtSecret: TEST_JWT_SECRET,
    publicUrl: "http://storage.test",
  });
  service = storage.asServiceRole("executor test: the runner reads datasets and writes results");
  alice = await createUser(fx.su);
  bob = await createUser(fx.su);
  penguins = new Uint8Array(await readFile(PENGUINS));
  const path = `${alice.id}/penguins.csv`;
  await storage
    .forUser(await accessToken(alice))
    .upload("datasets", path, penguins, { contentType: "text/csv" });
  datasetRow = { id: randomUUID(), owner_id: alice.id, storage_path: path, format: "csv" };
});

afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
  await fx?.close();
});

describe("executeGeneration", () => {
  it("runs a Gaussian copula job end to end: every result object where result_paths says", async () => {
    const log = progressLog();
    const job = jobOf({ output_format: "parquet", run_options: { evaluation: { holdout_fraction: 0.2 } } });
    const result = await executeGeneration(job, ctxOf({ reportProgress: log.reportProgress }));

    expect(result.result_paths).toEqual({
      data: {
        parquet: `${alice.id}/${job.id}/synthetic.parquet`,
        csv: `${alice.id}/${job.id}/synthetic.csv`,
      },
      model: `${alice.id}/${job.id}/model.synth`,
      report: `${alice.id}/${job.id}/report.json`,
      html: `${alice.id}/${job.id}/report.html`,
    });
    for (const format of ["parquet", "csv"] as const) {
      const bytes = await service.download("synthetic", result.result_paths.data[format]!);
      const table = (await loadTable(bytes, { format })).table;
      expect(rowCount(table)).toBe(120);
      expect(table.columns).toEqual(COLUMNS);
    }
    const report = reportSchema.parse(
      JSON.parse(new TextDecoder().decode(await service.download("reports", result.result_paths.report!))),
    );
    expect(report.rows).toEqual({ real: 275, synthetic: 120, holdout: 69 });
    const html = new TextDecoder().decode(await service.download("reports", result.result_paths.html!));
    expect(html).toMatch(/^<!doctype html>/i);
    const model = decodeArtifact(await service.download("models", result.result_paths.model!));
    expect(model.kind).toBe("gaussian_copula");
    model.dispose();

    const s = result.quality_summary;
    expect(s.quality.allPairs.overall).toBe(report.quality.allPairs.overall);
    expect(s.quality.allPairs.overall).toBeGreaterThan(0.5);
    expect(s.rows).toEqual({ training: 275, holdout: 69, requested: 120, synthetic: 120 });
    expect(s.privacy?.guard.status).toBe("on");
    expect(s.privacy?.overfittingProtection).not.toBeNull();
    // The path /stats/dashboard averages (functions/routes/stats/dashboard.ts OVERALL_QUALITY_PATH).
    const stored = JSON.parse(JSON.stringify(s)) as { quality: { allPairs: { overall: unknown } } };
    expect(typeof stored.quality.allPairs.overall).toBe("number");

    const phases = log.writes.map((w) => w.progress.phase);
    expect(phases[0]).toBe("loading");
    expect(phases.at(-1)).toBe("uploading");
  });

  it("trains CTGAN for 2 epochs in a worker thread, reporting every epoch (throttle off)", async () => {
    const log = progressLog();
    const job = jobOf({
      model_type: "ctgan",
      model_config: { epochs: 2 },
      sample_size: 50,
      output_format: "json",
    });
    const result = await executeGeneration(
      job,
      ctxOf({ reportProgress: log.reportProgress, progressIntervalMs: 0 }),
    );
    const table = (
      await loadTable(await service.download("synthetic", result.result_paths.data.json!), { format: "json" })
    ).table;
    expect(rowCount(table)).toBe(50);
    expect(table.columns).toEqual(COLUMNS);
    const epochs = log.writes.map((w) => w.progress.epoch).filter((e) => e !== undefined);
    expect(epochs).toEqual([0, 1, 2]);
    const trained = log.writes.find((w) => w.progress.epoch === 2)!.progress;
    expect(trained).toMatchObject({ phase: "training", epochs: 2 });
    expect(Object.keys(trained.losses ?? {})).toEqual(expect.arrayContaining(["discriminator", "generator"]));
    expect(result.quality_summary.model).toMatchObject({ kind: "ctgan", epochs: 2 });
  });

  it("keeps the main event loop responsive while CTGAN trains in the worker, writing at most once per interval", async () => {
    const log = progressLog();
    const interval = 400;
    const job = jobOf({ model_type: "ctgan", model_config: { epochs: 40 }, sample_size: 50 });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const elu0 = performance.eventLoopUtilization();
    const started = performance.now();
    await executeGeneration(job, ctxOf({ reportProgress: log.reportProgress, progressIntervalMs: interval }));
    const seconds = (performance.now() - started) / 1000;
    delay.disable();
    const maxMs = delay.max / 1e6;
    // How busy the main thread's loop was while the model trained: near 1 if training ran on it, small when it
    // runs in the worker. The maximum delay is only reported: on a loaded machine (CI runs two test files
    // at once on two cores) the OS scheduler, not our code, decides it.
    const busy = performance.eventLoopUtilization(elu0).utilization;
    expect(busy).toBeLessThan(0.35);
    // Every write but the final flush keeps the interval; epochs never go back.
    const w = log.writes;
    for (let i = 1; i < w.length - 1; i++) expect(w[i].at - w[i - 1].at).toBeGreaterThanOrEqual(interval - 5);
    expect(w.length).toBeLessThanOrEqual(Math.ceil((seconds * 1000) / interval) + 2);
    const epochs = w.map((x) => x.progress.epoch).filter((e): e is number => e !== undefined);
    for (let i = 1; i < epochs.length; i++) expect(epochs[i]).toBeGreaterThanOrEqual(epochs[i - 1]);
    expect(epochs.length).toBeGreaterThan(1);
    console.log(
      `event loop busy ${(busy * 100).toFixed(1)}%, max delay ${maxMs.toFixed(1)} ms over a ${seconds.toFixed(1)} s CTGAN job; ${w.length} progress writes`,
    );
  });

  it("stops within one epoch of a cancel", async () => {
    const controller = new AbortController();
    const epochs: number[] = [];
    let abortedAt = 0;
    let abortedEpoch = 0;
    const job = jobOf({ model_type: "ctgan", model_config: { epochs: 100_000 } });
    const error = await failure(
      executeGeneration(
        job,
        ctxOf({
          signal: controller.signal,
          progressIntervalMs: 0,
          abortGraceMs: 60_000,
          reportProgress: (p) => {
            if (p.epoch === undefined) return;
            epochs.push(p.epoch);
            if (p.epoch >= 1 && !controller.signal.aborted) {
              abortedEpoch = p.epoch;
              abortedAt = performance.now();
              controller.abort();
            }
          },
        }),
      ),
    );
    expect(error.code).toBe("ABORTED");
    expect(error.details.retryable).toBe(false);
    // The worker stopped itself (the grace timer of 60 s did not fire) and at most one more epoch ran.
    expect(performance.now() - abortedAt).toBeLessThan(5000);
    expect(Math.max(...epochs)).toBeLessThanOrEqual(abortedEpoch + 1);
    const left = await service.list("synthetic", `${alice.id}/${job.id}`);
    expect(left).toEqual([]);
  });

  it("fails with JOB_TIMEOUT past the wall-clock limit and terminates the worker", async () => {
    let worker: Worker | undefined;
    const job = jobOf({ model_type: "ctgan", model_config: { epochs: 100_000 } });
    const started = performance.now();
    const error = await failure(
      executeGeneration(
        job,
        ctxOf({ limits: { memoryBytes: 4 * GB, timeoutMs: 4000 }, onWorker: (w) => (worker = w) }),
      ),
    );
    expect(error.code).toBe("JOB_TIMEOUT");
    expect(error.details.retryable).toBe(false);
    expect(performance.now() - started).toBeLessThan(8000);
    expect(worker).toBeDefined();
    const exitCode = await new Promise<number>((resolve) => {
      if (worker!.threadId === -1) resolve(1);
      else worker!.once("exit", resolve);
    });
    expect(exitCode).toBe(1);
    expect(worker!.threadId).toBe(-1);
  });

  it("refuses a dataset outside the job owner's folder, not retryable, without reading it", async () => {
    const bobPath = `${bob.id}/secret.csv`;
    await service.upload("datasets", bobPath, penguins, { contentType: "text/csv", upsert: true });
    let downloads = 0;
    const counting: BlobStore = {
      ...service,
      download: async (...args) => {
        downloads += 1;
        return service.download(...args);
      },
    };
    for (const row of [
      { ...datasetRow, storage_path: bobPath },
      { ...datasetRow, owner_id: bob.id, storage_path: bobPath },
      { ...datasetRow, storage_path: `${alice.id}x/penguins.csv` },
    ]) {
      const error = await failure(executeGeneration(jobOf(), ctxOf({ storage: counting, datasetRow: row })));
      expect(error.code).toBe("FORBIDDEN");
      expect(error.details.retryable).toBe(false);
    }
    expect(downloads).toBe(0);
  });

  it("a retried job overwrites its own objects and nothing else", async () => {
    const job = jobOf();
    const other = `${alice.id}/${randomUUID()}/synthetic.csv`;
    const bobs = `${bob.id}/${job.id}/synthetic.csv`;
    const marker = new TextEncoder().encode("not ours\n");
    await service.upload("synthetic", other, marker, { contentType: "text/csv" });
    await service.upload("synthetic", bobs, marker, { contentType: "text/csv" });
    const first = await executeGeneration(job, ctxOf());
    const firstCsv = await service.download("synthetic", first.result_paths.data.csv!);
    // A stale object from an interrupted attempt is replaced, not kept beside.
    await service.upload("reports", first.result_paths.report!, marker, { upsert: true });
    const second = await executeGeneration(job, ctxOf());
    expect(second.result_paths).toEqual(first.result_paths);
    expect(await service.download("synthetic", second.result_paths.data.csv!)).toEqual(firstCsv);
    expect(new TextDecoder().decode(await service.download("reports", second.result_paths.report!))).toMatch(
      /^\{/,
    );
    expect(await service.download("synthetic", other)).toEqual(marker);
    expect(await service.download("synthetic", bobs)).toEqual(marker);
    const own = (await service.list("synthetic", `${alice.id}/${job.id}`)).map((o) => o.path).sort();
    expect(own).toEqual([`${alice.id}/${job.id}/synthetic.csv`]);
    const reports = (await service.list("reports", `${alice.id}/${job.id}`)).map((o) => o.path).sort();
    expect(reports).toEqual([`${alice.id}/${job.id}/report.html`, `${alice.id}/${job.id}/report.json`]);
  });

  it("refuses a job above the memory limit before training: before the download when the row says enough", async () => {
    let downloads = 0;
    const counting: BlobStore = {
      ...service,
      download: async (...args) => {
        downloads += 1;
        return service.download(...args);
      },
    };
    const profiled = await executeDatasetValidation(datasetRow, {
      storage: service,
      signal: new AbortController().signal,
      limits: { memoryBytes: 4 * GB },
      compute: "inline",
    });
    const row = {
      ...datasetRow,
      column_metadata: profiled.column_metadata,
      row_count: profiled.row_count,
      profile: profiled.profile,
    };
    const limits = { memoryBytes: 100 * 2 ** 20 };
    const job = jobOf({ model_type: "ctgan", model_config: { epochs: 2 } });
    const early = await failure(
      executeGeneration(job, ctxOf({ storage: counting, datasetRow: row, limits })),
    );
    expect(early.code).toBe("MEMORY_LIMIT");
    expect(early.details.retryable).toBe(false);
    expect(early.details.estimated_peak_bytes).toBeGreaterThan(limits.memoryBytes);
    expect(downloads).toBe(0);
    // Without metadata on the row, the worker refuses after reading the table, still before any epoch.
    const epochs: number[] = [];
    const late = await failure(
      executeGeneration(
        job,
        ctxOf({
          storage: counting,
          limits,
          reportProgress: (p) => {
            if (p.epoch !== undefined) epochs.push(p.epoch);
          },
        }),
      ),
    );
    expect(late.code).toBe("MEMORY_LIMIT");
    expect(downloads).toBe(1);
    expect(epochs).toEqual([]);
  });

  it("marks storage failures retryable and a deleted dataset not", async () => {
    const flaky: BlobStore = {
      ...service,
      download: async () => {
        throw synthError("STORAGE_ERROR", "Storage answered 503", { status: 503, retryable: true });
      },
    };
    const error = await failure(executeGeneration(jobOf(), ctxOf({ storage: flaky })));
    expect(error.code).toBe("STORAGE_ERROR");
    expect(error.details.retryable).toBe(true);
    const gone = await failure(
      executeGeneration(
        jobOf(),
        ctxOf({ datasetRow: { ...datasetRow, storage_path: `${alice.id}/deleted.csv` } }),
      ),
    );
    expect(gone.code).toBe("NOT_FOUND");
    expect(gone.details.retryable).toBe(false);
    const bad = await failure(
      executeGeneration(jobOf({ model_config: { epochs: -1 }, model_type: "ctgan" }), ctxOf()),
    );
    expect(bad.details.retryable).toBe(false);
  });
});

describe("executeGeneration inline (no worker thread)", () => {
  it("writes the same synthetic rows as the worker for the same job and seed, releasing its tensors", async () => {
    const job = jobOf({ model_type: "ctgan", model_config: { epochs: 2 }, sample_size: 40 });
    const inWorker = await executeGeneration(job, ctxOf());
    const workerCsv = await service.download("synthetic", inWorker.result_paths.data.csv!);
    const tf = await import("@tensorflow/tfjs");
    const inline = await executeGeneration(job, ctxOf({ compute: "inline" }));
    const tensors = tf.memory().numTensors;
    await executeGeneration(job, ctxOf({ compute: "inline" }));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(inline.result_paths).toEqual(inWorker.result_paths);
    expect(await service.download("synthetic", inline.result_paths.data.csv!)).toEqual(workerCsv);
  });

  it("times out inline too, and the abandoned fit stops (its networks are disposed)", async () => {
    const tf = await import("@tensorflow/tfjs");
    await initNodeBackend();
    const before = tf.memory().numTensors;
    const epochs: number[] = [];
    const job = jobOf({ model_type: "ctgan", model_config: { epochs: 100_000 } });
    const error = await failure(
      executeGeneration(
        job,
        ctxOf({
          compute: "inline",
          progressIntervalMs: 0,
          limits: { memoryBytes: 4 * GB, timeoutMs: 2000 },
          reportProgress: (p) => {
            if (p.epoch !== undefined) epochs.push(p.epoch);
          },
        }),
      ),
    );
    expect(error.code).toBe("JOB_TIMEOUT");
    expect(epochs.length).toBeGreaterThan(1);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // A fit still running would hold its generator and discriminator weights.
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("executeDatasetValidation", () => {
  it("profiles the file in a worker as the API's inline validation does, with its SHA-256", async () => {
    const result = await executeDatasetValidation(datasetRow, {
      storage: service,
      signal: new AbortController().signal,
      limits: { memoryBytes: 4 * GB },
    });
    expect(result.row_count).toBe(344);
    expect(result.column_count).toBe(8);
    expect(result.size_bytes).toBe(penguins.byteLength);
    expect(result.sha256).toBe(createHash("sha256").update(penguins).digest("hex"));
    expect(result.column_metadata.columns.map((c) => c.name)).toEqual(COLUMNS);
    const { validateFile } = await import("../functions/routes/upload/inline-validation.ts");
    const inline = await validateFile(penguins, "penguins.csv", "csv");
    expect(inline.status).toBe("ready");
    if (inline.status === "ready") {
      expect(result.column_metadata).toEqual(inline.metadata);
      expect(result.profile).toEqual(JSON.parse(JSON.stringify(inline.profile)));
    }
  });

  it("fails a file that is not a table, not retryable, with the row", async () => {
    const path = `${alice.id}/ragged.csv`;
    await service.upload("datasets", path, new TextEncoder().encode("a,b\n1,2\n3,4,5\n"), {
      contentType: "text/csv",
    });
    const error = await failure(
      executeDatasetValidation(
        { ...datasetRow, storage_path: path },
        { storage: service, signal: new AbortController().signal, limits: { memoryBytes: 4 * GB } },
      ),
    );
    expect(error.code).toBe("RAGGED_ROW");
    expect(error.details.retryable).toBe(false);
    expect(error.details.row).toBeDefined();
  });
});
