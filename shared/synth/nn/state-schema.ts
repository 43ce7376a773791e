/** zod schemas for the parts of MatrixModelState both neural models share. */
import { z } from "zod";

export const columnsSchema = z.array(
  z.object({
    column: z.string(),
    kind: z.enum(["continuous", "discrete"]),
    spans: z.array(z.object({ dim: z.number().int().positive(), activation: z.enum(["tanh", "softmax"]) })),
  }),
);

export const weightsSchema = z.array(
  z.object({
    name: z.string(),
    shape: z.array(z.number().int().nonnegative()),
    data: z.instanceof(Float32Array),
  }),
);
