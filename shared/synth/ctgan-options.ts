import { z } from "zod";

/**
 * CTGAN's hyperparameters, named and defaulted as CTGANSynthesizer.__init__ of the reference
 * (sdv-dev/CTGAN ctgan/synthesizers/ctgan.py). Their own module, without tfjs, so the API can describe and
 * validate them (GET /generation-v2/config) without loading the engine. The descriptions are the ones the
 * API publishes.
 */
const positiveInt = z.number().int().positive();
const rate = z.number().positive().finite();
const decay = z.number().nonnegative().finite();

export const ctganOptionsSchema = z
  .object({
    epochs: positiveInt.default(300).describe("Passes over the training rows (reference default 300)"),
    /** Default: the reference's 500, at most the training rows in whole pac groups (nn/batch.ts). */
    batch_size: positiveInt
      .optional()
      .describe(
        "Rows per training step, a multiple of pac; default the reference's 500, capped at the training rows in whole pac groups",
      ),
    embedding_dim: positiveInt.default(128).describe("Size of the generator's random input (reference 128)"),
    generator_dim: z
      .array(positiveInt)
      .default([256, 256])
      .describe("Widths of the generator's residual layers (reference [256, 256])"),
    discriminator_dim: z
      .array(positiveInt)
      .default([256, 256])
      .describe("Widths of the discriminator's hidden layers (reference [256, 256])"),
    generator_lr: rate.default(2e-4).describe("Adam learning rate of the generator (reference 2e-4)"),
    generator_decay: decay.default(1e-6).describe("Adam weight decay of the generator (reference 1e-6)"),
    discriminator_lr: rate.default(2e-4).describe("Adam learning rate of the discriminator (reference 2e-4)"),
    discriminator_decay: decay
      .default(1e-6)
      .describe("Adam weight decay of the discriminator (reference 1e-6)"),
    discriminator_steps: positiveInt
      .default(1)
      .describe("Discriminator updates per generator update (reference 1; the WGAN paper uses 5)"),
    log_frequency: z
      .boolean()
      .default(true)
      .describe(
        "Sample conditional categories by log frequency, so rare categories are trained on (reference true)",
      ),
    pac: positiveInt
      .default(10)
      .describe("Rows the discriminator judges together, against mode collapse (reference 10)"),
  })
  .strict();

export type CtganOptions = z.input<typeof ctganOptionsSchema>;
export type CtganConfig = z.output<typeof ctganOptionsSchema>;
