import type { Context } from "hono";
import { z } from "@hono/zod-openapi";
import type { SynthError } from "../shared/errors.ts";

/**
 * The seed's response envelope, on every answer: `{success, data, message, timestamp}` or
 * `{success: false, error: {code, message, details}, timestamp}`. Schemas here feed the OpenAPI document.
 */
export const errorEnvelopeSchema = z
  .object({
    success: z.literal(false),
    error: z.object({
      code: z.string().openapi({ example: "VALIDATION_ERROR" }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
    timestamp: z.string(),
  })
  .openapi("ErrorEnvelope");

export function envelopeOf<T extends z.ZodType>(data: T) {
  return z.object({
    success: z.literal(true),
    data,
    message: z.string(),
    timestamp: z.string(),
  });
}

export function okBody<T>(data: T, message: string, now: Date) {
  return { success: true as const, data, message, timestamp: now.toISOString() };
}

export function errorBody(error: Pick<SynthError, "code" | "message" | "details">, now: Date) {
  return {
    success: false as const,
    error: { code: error.code, message: error.message, details: error.details },
    timestamp: now.toISOString(),
  };
}

export type AnyContext = Context;
