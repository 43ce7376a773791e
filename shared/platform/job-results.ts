import { z } from "zod";
import type { Bucket } from "./storage.ts";

/**
 * `generation_requests.result_paths` as the training runner writes it when a job succeeds: the Storage
 * object names of what it produced, each inside the owner's folder (`<owner>/<job>/...`, so the owner's
 * storage policies apply to the signed links). The API parses it with this schema to answer downloads.
 *
 * - `data`: the synthetic table, one object per format written (bucket `synthetic`); at least the
 *   request's output_format.
 * - `report`: the quality and privacy report as JSON, `html`: the same as a self-contained page (bucket
 *   `reports`).
 * - `model`: the fitted model artifact (bucket `models`), for sampling again without training.
 */
export const OUTPUT_FORMATS = ["csv", "json", "xlsx", "parquet"] as const;
export type OutputFormatName = (typeof OUTPUT_FORMATS)[number];
export const ARTIFACTS = ["data", "report", "html", "model"] as const;
export type Artifact = (typeof ARTIFACTS)[number];

const objectName = z
  .string()
  .min(3)
  .max(1024)
  .refine(
    (p) => p.split("/").length >= 2 && p.split("/").every((s) => s !== "" && s !== "." && s !== ".."),
    "an object name inside a folder, without empty, '.' or '..' segments",
  );

export const jobResultPathsSchema = z
  .object({
    data: z.partialRecord(z.enum(OUTPUT_FORMATS), objectName),
    report: objectName.optional(),
    html: objectName.optional(),
    model: objectName.optional(),
  })
  .strict();
export type JobResultPaths = z.infer<typeof jobResultPathsSchema>;

/** Where each artifact lives. */
export const ARTIFACT_BUCKET: Record<Artifact, Bucket> = {
  data: "synthetic",
  report: "reports",
  html: "reports",
  model: "models",
};
