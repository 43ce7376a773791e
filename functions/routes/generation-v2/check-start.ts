import { sql } from "kysely";
import type { z } from "@hono/zod-openapi";
import type { Tx } from "../../../shared/platform/db.ts";
import type { VerifiedUser } from "../../deps.ts";
import {
  columnProblems,
  jsonb,
  loadOwnDataset,
  runOptionsOf,
  sqlProblems,
  type JobDataset,
} from "../generation/create-request.ts";
import { hyperparameters, MODEL_OPTION_SCHEMAS, type Problem } from "../generation/model-config.ts";
import { startV2BodySchema } from "../generation/start-body.ts";
import { readPlatformLimits, type PlatformLimits } from "./platform-limits.ts";

/**
 * Everything POST /generation-v2/start would refuse, collected instead of stopping at the first: the
 * body's zod issues, the dataset (the caller's, ready, with the columns the conditions name), and the
 * platform's limits as the insert trigger applies them (validate_model_config / validate_run_options /
 * validate_optimization_config run as the caller, and max_sample_size, max_active_jobs_per_user).
 */
export interface StartCheck {
  problems: Problem[];
  dataset: JobDataset | null;
  limits: PlatformLimits;
  activeJobs: number;
  body: z.infer<typeof startV2BodySchema> | null;
}

export function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: [...path, key].join("."), message: "unknown key" }));
    }
    return [{ path: path.join("."), message: issue.message }];
  });
}

const RUN_OPTION_KEYS = ["conditions", "privacy_guard", "evaluation", "include_metadata"] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The caller's active jobs as enforce_active_job_limit() counts them. */
async function countActiveJobs(tx: Tx, user: VerifiedUser): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select (select count(*) from public.generation_requests g
             where g.owner_id = ${user.id} and g.status in ('pending_approval', 'queued', 'running'))
         + (select count(*) from public.optimization_runs r
             where r.owner_id = ${user.id} and r.status in ('pending_approval', 'queued', 'running')
               and not exists (select 1 from public.generation_requests g
                                where g.id = r.generation_request_id
                                  and g.status in ('pending_approval', 'queued', 'running'))) as n`.execute(
    tx,
  );
  return Number(rows[0]?.n ?? 0);
}

export async function checkStart(tx: Tx, user: VerifiedUser, raw: unknown): Promise<StartCheck> {
  const parsed = startV2BodySchema.safeParse(raw);
  const problems: Problem[] = parsed.success ? [] : zodProblems(parsed.error);
  const input = isObject(raw) ? raw : {};
  const limits = await readPlatformLimits(tx);
  const activeJobs = await countActiveJobs(tx, user);
  const sqlFound: Problem[] = [];

  let dataset: JobDataset | null = null;
  if (typeof input.dataset_id === "string" && UUID.test(input.dataset_id)) {
    dataset = await loadOwnDataset(tx, user, input.dataset_id);
    if (dataset === null) {
      problems.push({ path: "dataset_id", message: "you have no dataset with this id" });
    } else if (dataset.status !== "ready") {
      problems.push({ path: "dataset_id", message: `the dataset is ${dataset.status}, not ready` });
    }
  }
  if (dataset !== null) {
    problems.push(
      ...columnProblems(
        {
          conditions: isObject(input.conditions) ? input.conditions : undefined,
          evaluation: isObject(input.evaluation) ? input.evaluation : undefined,
        },
        dataset.metadata,
      ),
    );
  }

  const modelConfig = isObject(input.model_config) ? input.model_config : null;
  const modelType = modelConfig?.model_type;
  if (typeof modelType === "string" && modelType in MODEL_OPTION_SCHEMAS) {
    const { rows } = await sql<{ model: string[]; optimization: string[] }>`
      select public.validate_model_config(${modelType},
               ${jsonb(hyperparameters({ ...modelConfig, model_type: modelType as "ctgan" }))}) as model,
             public.validate_optimization_config(${modelType},
               ${input.optimization_config === undefined ? null : jsonb(input.optimization_config)}) as optimization`.execute(
      tx,
    );
    sqlFound.push(...sqlProblems("model_config", rows[0].model));
    sqlFound.push(...sqlProblems("optimization_config", rows[0].optimization));
  }
  // The run options as the insert would store them: parsed (defaults filled) when the body is valid,
  // else the keys as given, so their problems are found too.
  const runOptions = parsed.success
    ? runOptionsOf(parsed.data)
    : Object.fromEntries(RUN_OPTION_KEYS.filter((k) => k in input).map((k) => [k, input[k]]));
  const { rows: runRows } = await sql<{ p: string[] }>`
    select public.validate_run_options(${jsonb(runOptions)}) as p`.execute(tx);
  sqlFound.push(...sqlProblems("", runRows[0].p));
  if (typeof input.sample_size === "number" && input.sample_size > limits.maxSampleSize) {
    sqlFound.push({
      path: "sample_size",
      message: `exceeds the platform limit of ${limits.maxSampleSize} rows`,
    });
  }
  // zod's own message for a path says the same as the database's; the database adds only what zod
  // cannot know (the platform's caps), so its problems count where zod found none at that path.
  const seen = new Set(problems.map((p) => p.path));
  for (const p of sqlFound) if (!seen.has(p.path)) problems.push(p);
  if (activeJobs >= limits.maxActiveJobs) {
    problems.push({
      path: "",
      message: `you have ${activeJobs} active jobs; the platform allows ${limits.maxActiveJobs} at once`,
    });
  }
  return { problems, dataset, limits, activeJobs, body: parsed.success ? parsed.data : null };
}
