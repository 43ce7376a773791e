import { z } from "zod";

/**
 * TVAE's hyperparameters, named and defaulted as TVAESynthesizer.__init__ of the reference
 * (sdv-dev/CTGAN ctgan/synthesizers/tvae.py; lr is Adam's default there). Their own module, without tfjs,
 * so the API can describe and validate them without loading the engine.
 */
const positiveInt = z.number().int().positive();

export const tvaeOptionsSchema = z
  .object({
    epochs: positiveInt.default(300).describe("Passes over the training rows (reference default 300)"),
    /** Default: the reference's 500, at most a tenth of the training rows (nn/batch.ts); resolved at fit. */
    batch_size: positiveInt
      .optional()
      .describe("Rows per training step; default the reference's 500, at most a tenth of the training rows"),
    embedding_dim: positiveInt.default(128).describe("Size of the latent space (reference 128)"),
    compress_dims: z
      .array(positiveInt)
      .default([128, 128])
      .describe("Widths of the encoder's hidden layers (reference [128, 128])"),
    decompress_dims: z
      .array(positiveInt)
      .default([128, 128])
      .describe("Widths of the decoder's hidden layers (reference [128, 128])"),
    l2scale: z.number().nonnegative().finite().default(1e-5).describe("Adam weight decay (reference 1e-5)"),
    loss_factor: z
      .number()
      .positive()
      .finite()
      .default(2)
      .describe("Weight of the reconstruction loss against the KL term (reference 2)"),
    learning_rate: z
      .number()
      .positive()
      .finite()
      .default(1e-3)
      .describe("Adam learning rate (reference: Adam's default 1e-3)"),
  })
  .strict();

export type TvaeOptions = z.input<typeof tvaeOptionsSchema>;
export type TvaeConfig = z.output<typeof tvaeOptionsSchema>;
