import type { Db } from "../shared/platform/db.ts";
import type { Logger } from "../shared/platform/logger.ts";
import type { RunnerConfig } from "./config.ts";
import type { RunnerDeps } from "./runner.ts";
import { createStudyHooks } from "./studies.ts";
import { warmWorkerPool } from "./warm-workers.ts";

/**
 * The runner's parts its configuration switches on, the same for every process that runs runners
 * (`synth runner`, `synth serve`): the study hooks when it claims optimisation trials (without them a study
 * stops after its first proposals) and the warm job worker unless RUNNER_WARM_WORKERS is off.
 */
export function configuredRunnerDeps(
  config: RunnerConfig,
  db: Db,
  logger: Logger,
): Pick<RunnerDeps, "studies" | "workers"> {
  return {
    ...(config.kinds.includes("optimization_trial") ? { studies: createStudyHooks(db, logger) } : {}),
    ...(config.warmWorkers ? { workers: warmWorkerPool } : {}),
  };
}
