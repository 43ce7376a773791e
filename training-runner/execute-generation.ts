import { z } from "zod";
import { MEDIA_TYPES } from "../shared/data/formats.ts";
import { tableMetadataSchema, type TableMetadata } from "../shared/data/metadata.ts";
import { systemClock } from "../shared/platform/clock.ts";
import { jobRunOptionsSchema } from "../shared/platform/job-options.ts";
import {
  jobResultPathsSchema,
  OUTPUT_FORMATS,
  type JobResultPaths,
  type OutputFormatName,
} from "../shared/platform/job-results.ts";
import type { Bucket } from "../shared/platform/storage.ts";
import { modelKindSchema } from "../shared/synth/models.ts";
import {
  computeGeneration,
  type GenerationJobSpec,
  type GenerationOutput,
  type QualitySummary,
} from "./compute.ts";
import { createDeadline } from "./deadline.ts";
import { assertInOwnersFolder, datasetRowSchema, type ExecutionContext } from "./job-context.ts";
import { createJobReporter } from "./job-reporter.ts";
import { asJobError, notRetryable } from "./job-errors.ts";
import { runInWorker } from "./job-thread.ts";
import { assertMemoryFits } from "./memory-estimate.ts";

/**
 * One generation job, from the dataset in Storage to the results in Storage: download (the path must be in
 * the job owner's folder), then in a worker thread load, split the seeded holdout, fit, sample with the
 * privacy guard and evaluate, then upload the synthetic table, the model, the JSON and HTML reports under
 * `<owner>/<job>/` with fixed names (upsert: a retried job overwrites its own objects and nothing else).
 * The claim loop then passes the answer to complete_job. Every failure is a SynthError with
 * `details.retryable`.
 */
export const generationJobSchema = z.object({
  id: z.string().uuid(),
  owner_id: z.string().uuid(),
  dataset_id: z.string().uuid().nullable(),
  model_type: modelKindSchema,
  model_config: z.record(z.string(), z.unknown()).default({}),
  sample_size: z.number().int().positive(),
  output_format: z.enum(OUTPUT_FORMATS),
  /** bigint in the database: postgres.js answers a string. */
  seed: z.union([z.number(), z.string(), z.bigint()]).nullable().optional(),
  run_options: z.unknown().optional(),
});
export type GenerationJob = z.input<typeof generationJobSchema>;

export interface GenerationResult {
  result_paths: JobResultPaths;
  quality_summary: QualitySummary;
}

/** Fixed object names, so a retry of the same job lands on the same objects. */
export function resultObjects(ownerId: string, jobId: string, formats: OutputFormatName[]) {
  const folder = `${ownerId}/${jobId}`;
  return {
    data: Object.fromEntries(formats.map((f) => [f, `${folder}/synthetic.${f}`])) as Partial<
      Record<OutputFormatName, string>
    >,
    metadata: `${folder}/metadata.json`,
    model: `${folder}/model.synth`,
    report: `${folder}/report.json`,
    html: `${folder}/report.html`,
  };
}

/** The job's seed, or one derived from its id: without a seed, every attempt still samples the same rows. */
export function seedOf(seed: number | string | bigint | null | undefined, jobId: string): number {
  if (seed !== null && seed !== undefined) return Number(BigInt(seed) & 0xffffffffn);
  let h = 0x811c9dc5;
  for (const ch of jobId) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

function parseJob(raw: GenerationJob): GenerationJobSpec & { owner_id: string; dataset_id: string | null } {
  const job = generationJobSchema.safeParse(raw);
  if (!job.success) {
    throw notRetryable("VALIDATION_ERROR", "the job row is not a generation request", {
      issues: job.error.issues.slice(0, 5),
    });
  }
  const options = jobRunOptionsSchema.safeParse(job.data.run_options ?? {});
  if (!options.success) {
    throw notRetryable("VALIDATION_ERROR", "the job's run_options are invalid", {
      issues: options.error.issues.slice(0, 5),
    });
  }
  return {
    ...job.data,
    seed: seedOf(job.data.seed, job.data.id),
    run_options: options.data,
  };
}

/** The dataset's stored column metadata, when it has valid metadata (user edits included). */
function storedMetadata(raw: unknown): TableMetadata | undefined {
  if (raw === null || raw === undefined) return undefined;
  const parsed = tableMetadataSchema.safeParse(raw);
  if (!parsed.success) {
    throw notRetryable("INVALID_METADATA", "the dataset's column metadata is invalid", {
      issues: parsed.error.issues.slice(0, 5),
    });
  }
  return parsed.data;
}

const profileLevelsSchema = z.object({
  columnProfiles: z.array(
    z.object({ name: z.string(), distinct: z.number(), missing: z.number().optional() }),
  ),
});

/** Distinct levels per column from the dataset's profile, for the memory check before the download. */
function levelsFromProfile(profile: unknown): Map<string, number> | undefined {
  const parsed = profileLevelsSchema.safeParse(profile);
  if (!parsed.success) return undefined;
  return new Map(
    parsed.data.columnProfiles.map((p) => [p.name, p.distinct + ((p.missing ?? 0) > 0 ? 1 : 0)]),
  );
}

export async function executeGeneration(
  raw: GenerationJob,
  ctx: ExecutionContext,
): Promise<GenerationResult> {
  const clock = ctx.clock ?? systemClock;
  const log = ctx.logger?.child({ job_id: raw.id, kind: "generation" });
  const reporter = createJobReporter(ctx, clock, log);
  const report = reporter.report;
  const deadline = createDeadline(ctx.limits.timeoutMs, ctx.signal, () => clock.monotonicMs());
  try {
    const job = parseJob(raw);
    const dataset = datasetRowSchema.safeParse(ctx.datasetRow);
    if (job.dataset_id === null) {
      throw notRetryable("NOT_FOUND", "the job's dataset was deleted", { job_id: job.id });
    }
    if (!dataset.success || dataset.data.id !== job.dataset_id) {
      throw notRetryable("VALIDATION_ERROR", "the dataset row given is not the job's dataset", {
        dataset_id: job.dataset_id,
      });
    }
    const row = dataset.data;
    assertInOwnersFolder(row, job.owner_id);
    const metadata = storedMetadata(row.column_metadata);
    const holdout = job.run_options.evaluation?.holdout_fraction ?? 0;
    if (metadata !== undefined && typeof row.row_count === "number" && row.row_count > 0) {
      // Refused before the download when the row already says enough; the worker checks again on the table.
      assertMemoryFits(
        {
          model: job.model_type,
          modelConfig: job.model_config,
          rows: Math.max(1, Math.round(row.row_count * (1 - holdout))),
          metadata,
          levels: levelsFromProfile(row.profile),
          sampleSize: job.sample_size,
        },
        ctx.limits.memoryBytes,
      );
    }
    report({ phase: "loading" });
    const bytes = await deadline.race(ctx.storage.download("datasets", row.storage_path));
    log?.log("info", "dataset downloaded", { bytes: bytes.byteLength });
    const task = {
      kind: "generation" as const,
      bytes,
      fileName: row.storage_path.slice(row.storage_path.lastIndexOf("/") + 1),
      format: row.format,
      ...(metadata ? { metadata } : {}),
      job,
      memoryBytes: ctx.limits.memoryBytes,
      ...(ctx.backend ? { backend: ctx.backend } : {}),
      ...(ctx.fitThreads ? { fitThreads: ctx.fitThreads } : {}),
    };
    deadline.check();
    const output: GenerationOutput =
      ctx.compute === "inline"
        ? await deadline.race(computeGeneration(task, { signal: deadline.signal, onProgress: report }))
        : await runInWorker(task, {
            signal: ctx.signal,
            onProgress: report,
            timeoutMs: deadline.remainingMs(),
            memoryBytes: ctx.limits.memoryBytes,
            ...(ctx.abortGraceMs !== undefined ? { abortGraceMs: ctx.abortGraceMs } : {}),
            ...(ctx.onWorker ? { onStart: ctx.onWorker } : {}),
          });
    deadline.check();
    report({ phase: "uploading" });
    const formats = Object.keys(output.data) as OutputFormatName[];
    const names = resultObjects(job.owner_id, job.id, formats);
    const uploads: [Bucket, string, Uint8Array, string][] = [
      ...formats.map(
        (f) =>
          ["synthetic", names.data[f] as string, output.data[f] as Uint8Array, MEDIA_TYPES[f]] as [
            Bucket,
            string,
            Uint8Array,
            string,
          ],
      ),
      ["models", names.model, output.model, "application/octet-stream"],
      ["reports", names.report, output.report, "application/json"],
      ["reports", names.html, output.html, "text/html; charset=utf-8"],
    ];
    if (output.metadata) uploads.push(["synthetic", names.metadata, output.metadata, "application/json"]);
    for (const [bucket, path, body, contentType] of uploads) {
      await deadline.race(ctx.storage.upload(bucket, path, body, { contentType, upsert: true }));
    }
    const result_paths = jobResultPathsSchema.parse({
      data: names.data,
      model: names.model,
      report: names.report,
      html: names.html,
    });
    log?.log("info", "job results uploaded", { objects: uploads.length });
    return { result_paths, quality_summary: output.summary };
  } catch (error) {
    const failure = asJobError(error);
    log?.log("warn", "job failed", { code: failure.code, retryable: failure.details.retryable });
    throw failure;
  } finally {
    reporter.end();
    deadline.dispose();
  }
}
