import { z } from "@hono/zod-openapi";
import { envelopeOf } from "../../envelope.ts";
import { authErrors, conflictError, notFoundError, validationErrors } from "../responses.ts";

/** What the four decision routes share: generation requests and studies are approved and rejected alike. */
export const decisionParams = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: "id", in: "path" } }),
});

export const approveBody = z
  .object({ reason: z.string().trim().min(1).max(2000).optional() })
  .strict()
  .openapi("ApproveRequest");

export const rejectBody = z
  .object({ reason: z.string().trim().min(1).max(2000).openapi({ description: "Told to the requester" }) })
  .strict()
  .openapi("RejectRequest");

/** The decided item under `data`, or why there was nothing to decide. */
export function decisionResponses<T extends z.ZodTypeAny>(schema: T, description: string) {
  return {
    200: { description, content: { "application/json": { schema: envelopeOf(schema) } } },
    ...validationErrors,
    ...authErrors,
    ...notFoundError,
    ...conflictError,
  };
}
