/** What the claim loop calls: one function per job kind, the context it passes, the errors it classifies. */
export {
  executeGeneration,
  resultObjects,
  type GenerationJob,
  type GenerationResult,
} from "./execute-generation.ts";
export { executeDatasetValidation, type DatasetValidationResult } from "./execute-dataset.ts";
export type { DatasetRow, ExecutionContext, JobLimits } from "./job-context.ts";
export type { QualitySummary } from "./compute.ts";
export { asJobError, isRetryable } from "./job-errors.ts";
export { createProgressThrottle, type ProgressThrottle } from "./progress-throttle.ts";
export { assertMemoryFits } from "./memory-estimate.ts";
