import { z } from "zod";

/**
 * `generation_requests.progress` as the training runner writes it (at most about once a second, so
 * Realtime subscribers are not flooded) and the API reads it. The runner builds it from the model's
 * EpochProgress (shared/synth/matrix-model.ts) and must write exactly this shape: the API parses it with
 * this schema, and a row the schema refuses is answered without progress rather than with a guess.
 *
 * - `phase`: what the job is doing now; `epoch` / `epochs` count training epochs (1-based; the Gaussian
 *   copula has no epochs and writes only the phase).
 * - `losses`: the named losses of the last epoch (CTGAN: generator, discriminator; TVAE: loss).
 * - `elapsed_seconds`: wall time since the job started running; `eta_seconds`: the model's estimate of
 *   the training time left (null when it has none yet).
 * - `updated_at`: when the runner wrote this (ISO 8601), so a client can tell a stalled job.
 * An empty object (the column's default) means the runner has not reported yet.
 */
export const JOB_PHASES = [
  "loading",
  "profiling",
  "training",
  "sampling",
  "evaluating",
  "uploading",
] as const;

export const jobProgressSchema = z
  .object({
    phase: z.enum(JOB_PHASES).optional(),
    epoch: z.number().int().nonnegative().optional(),
    epochs: z.number().int().positive().optional(),
    losses: z.record(z.string(), z.number()).optional(),
    elapsed_seconds: z.number().nonnegative().optional(),
    eta_seconds: z.number().nonnegative().nullable().optional(),
    updated_at: z.string().datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((p) => p.epoch === undefined || p.epochs === undefined || p.epoch <= p.epochs, {
    message: "epoch must not exceed epochs",
    path: ["epoch"],
  });
export type JobProgress = z.infer<typeof jobProgressSchema>;
