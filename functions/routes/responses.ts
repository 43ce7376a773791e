import { errorEnvelopeSchema } from "../envelope.ts";

/** The error answers routes share, for the OpenAPI document (the envelope with a code). */
const error = (description: string) => ({
  description,
  content: { "application/json": { schema: errorEnvelopeSchema } },
});

export const authErrors = {
  401: error("No valid access token (UNAUTHORIZED, INVALID_TOKEN, TOKEN_EXPIRED)"),
  403: error("Signed in but not allowed (FORBIDDEN, ACCOUNT_DISABLED)"),
} as const;

export const validationErrors = {
  400: error("The request is invalid (VALIDATION_ERROR: every problem with its path in details.problems)"),
} as const;

export const notFoundError = {
  404: error("No such resource for this caller (another user's id is always 404)"),
} as const;

export const conflictError = {
  409: error("The resource is in a state that forbids this (CONFLICT, INVALID_STATE_TRANSITION)"),
} as const;
export const tooLargeError = {
  413: error("The body is larger than the configured limit (PAYLOAD_TOO_LARGE)"),
} as const;
export const rateLimitedError = {
  429: error("Too many requests of this kind; Retry-After says when to try again"),
} as const;
export const unprocessableError = {
  422: error("The file or configuration cannot be used (the code says why)"),
} as const;
