import { sql } from "kysely";
import { synthError, notFound } from "../../../shared/errors.ts";
import { tableMetadataSchema, type TableMetadata } from "../../../shared/data/metadata.ts";
import type { Tx } from "../../../shared/platform/db.ts";
import type { JobRunOptions } from "../../../shared/platform/job-options.ts";
import { asCaller, takeRateLimit } from "../../context.ts";
import type { AppDeps, VerifiedUser } from "../../deps.ts";
import { hyperparameters, type Problem } from "./model-config.ts";
import type { StartV2Body } from "./start-body.ts";

/**
 * The one way a generation request is created, for POST /generation/start and /generation-v2/start: as
 * the caller (RLS and the insert triggers decide), on a ready dataset of their own, with the column
 * checks only the API can make (the dataset's column metadata). The v1 body is the v2 body without the
 * privacy guard and evaluation settings.
 */
export type StartInput = Omit<StartV2Body, "privacy_guard" | "evaluation"> &
  Partial<Pick<StartV2Body, "privacy_guard" | "evaluation">>;

/** generation_requests.run_options of a body (shared/platform/job-options.ts), without absent keys. */
export function runOptionsOf(body: StartInput): JobRunOptions {
  const options: JobRunOptions = {};
  if (body.conditions !== undefined) options.conditions = body.conditions;
  if (body.privacy_guard !== undefined) options.privacy_guard = body.privacy_guard;
  if (body.evaluation !== undefined) options.evaluation = body.evaluation;
  if (body.include_metadata !== undefined) options.include_metadata = body.include_metadata;
  return options;
}

export interface JobDataset {
  id: string;
  status: string;
  row_count: number | null;
  column_count: number | null;
  metadata: TableMetadata | null;
  profile: unknown;
}

/** The caller's own dataset (admins see others' through RLS, but a job runs on its owner's data only). */
export async function loadOwnDataset(
  tx: Tx,
  user: VerifiedUser,
  datasetId: string,
): Promise<JobDataset | null> {
  const row = await tx
    .selectFrom("datasets")
    .select(["id", "status", "row_count", "column_count", "column_metadata", "profile"])
    .where("id", "=", datasetId)
    .where("owner_id", "=", user.id)
    .executeTakeFirst();
  if (row === undefined) return null;
  const metadata = tableMetadataSchema.safeParse(row.column_metadata);
  return {
    id: row.id,
    status: row.status,
    row_count: row.row_count,
    column_count: row.column_count,
    metadata: metadata.success ? metadata.data : null,
    profile: row.profile,
  };
}

/** What the column checks read of a body (loosely, so /generation-v2/validate can check an invalid one). */
export interface ColumnRefs {
  conditions?: Record<string, unknown>;
  evaluation?: { target_column?: unknown };
}

/** Conditions and the evaluation's target against the dataset's columns; every problem with its path. */
export function columnProblems(body: ColumnRefs, metadata: TableMetadata | null): Problem[] {
  const problems: Problem[] = [];
  const conditions = Object.keys(body.conditions ?? {});
  const target =
    typeof body.evaluation?.target_column === "string" ? body.evaluation.target_column : undefined;
  if (metadata === null) {
    if (conditions.length > 0) {
      problems.push({
        path: "conditions",
        message: "the dataset's columns are not known yet (no column metadata)",
      });
    }
    if (target !== undefined) {
      problems.push({ path: "evaluation.target_column", message: "the dataset's columns are not known yet" });
    }
    return problems;
  }
  const byName = new Map(metadata.columns.map((c) => [c.name, c]));
  for (const name of conditions) {
    const column = byName.get(name);
    if (column === undefined) {
      problems.push({ path: `conditions.${name}`, message: `the dataset has no column ${name}` });
    } else if (column.sdtype !== "categorical" && column.sdtype !== "boolean") {
      problems.push({
        path: `conditions.${name}`,
        message: `conditional sampling fixes categorical or boolean columns; ${name} is ${column.sdtype}`,
      });
    }
  }
  if (target !== undefined && !byName.has(target)) {
    problems.push({ path: "evaluation.target_column", message: `the dataset has no column ${target}` });
  }
  return problems;
}

/** The database's problem strings ('generator_dim[2]: must be ...') as API problems under `prefix`. */
export function sqlProblems(prefix: string, problems: readonly string[]): Problem[] {
  return problems.map((text) => {
    const split = text.indexOf(": ");
    const local = split < 0 ? "" : text.slice(0, split).replace(/\[(\d+)\]/g, ".$1");
    const message = split < 0 ? text : text.slice(split + 2);
    return { path: [prefix, local].filter((s) => s !== "").join("."), message };
  });
}

const CONFIG_SUBJECTS: Record<string, string> = {
  model_config: "model_config",
  optimization_config: "optimization_config",
  // run_options' keys are the body's own top-level keys.
  run_options: "",
  // An optimisation run's: the database's problems already start with search_space. / budget.
  search_space: "",
  budget: "",
};

interface PgErrorLike {
  name: string;
  code: string;
  message: string;
  detail?: string;
}
const isPgError = (e: unknown): e is PgErrorLike =>
  typeof e === "object" && e !== null && (e as { name?: unknown }).name === "PostgresError";

/**
 * The insert trigger's refusals as the API answers them. Config problems and the sample-size cap are the
 * caller's input: 400 with paths. The active-jobs limit is 409 CONFLICT, not 429: it is not a rate (no
 * Retry-After can be promised); it clears when one of the caller's jobs finishes or is canceled.
 */
export function fromInsertError(error: unknown): Error | null {
  if (!isPgError(error) || error.code !== "23514") return null;
  const config = /^invalid (model_config|optimization_config|run_options|search_space|budget): /.exec(
    error.message,
  );
  if (config !== null) {
    let listed: string[] = [];
    try {
      listed = JSON.parse(error.detail ?? "[]") as string[];
    } catch {
      listed = [error.message.slice(config[0].length)];
    }
    const problems = sqlProblems(CONFIG_SUBJECTS[config[1]], listed);
    return synthError("VALIDATION_ERROR", error.message, { problems }, error);
  }
  const rows = /^sample_size \d+ exceeds the platform limit of (\d+) rows/.exec(error.message);
  if (rows !== null) {
    return synthError(
      "VALIDATION_ERROR",
      error.message,
      { problems: [{ path: "sample_size", message: error.message }], limit: Number(rows[1]) },
      error,
    );
  }
  const active = /^at most (\d+) active jobs/.exec(error.message);
  if (active !== null) {
    return synthError(
      "CONFLICT",
      `${error.message}: wait for one to finish or cancel one`,
      { reason: "active_jobs", limit: Number(active[1]) },
      error,
    );
  }
  if (/not ready/.test(error.message)) return synthError("CONFLICT", error.message, {}, error);
  return null;
}

export interface Started {
  id: string;
  status: "queued" | "pending_approval";
}

/**
 * A JSON value as a jsonb parameter. Sent as text and cast: postgres.js would JSON-encode a string bound
 * to a jsonb parameter a second time (and send a JS array as a Postgres array).
 */
export const jsonb = (value: unknown) => sql<never>`cast(cast(${JSON.stringify(value)} as text) as jsonb)`;

export async function createGenerationRequest(
  deps: AppDeps,
  user: VerifiedUser,
  body: StartInput,
): Promise<Started> {
  await takeRateLimit(deps, user, "generation_starts", deps.config.rateLimits.generations);
  try {
    return await asCaller(deps, user, async (tx) => {
      const dataset = await loadOwnDataset(tx, user, body.dataset_id);
      if (dataset === null) throw notFound("dataset", { dataset_id: body.dataset_id });
      if (dataset.status !== "ready") {
        throw synthError(
          "CONFLICT",
          `the dataset is ${dataset.status}, not ready: jobs run on validated datasets`,
          {
            dataset_id: dataset.id,
            status: dataset.status,
          },
        );
      }
      const problems = columnProblems(body, dataset.metadata);
      if (problems.length > 0) {
        throw synthError("VALIDATION_ERROR", `${problems[0].path}: ${problems[0].message}`, { problems });
      }
      const row = await tx
        .insertInto("generation_requests")
        .values({
          owner_id: user.id,
          dataset_id: dataset.id,
          model_type: body.model_config.model_type,
          model_config: jsonb(hyperparameters(body.model_config)),
          optimization_config:
            body.optimization_config === undefined ? null : jsonb(body.optimization_config),
          run_options: jsonb(runOptionsOf(body)),
          sample_size: body.sample_size,
          output_format: body.output_format,
          seed: body.seed === undefined ? null : String(body.seed),
        })
        .returning(["id", "status"])
        .executeTakeFirstOrThrow();
      return { id: row.id, status: row.status as Started["status"] };
    });
  } catch (error) {
    throw fromInsertError(error) ?? error;
  }
}
