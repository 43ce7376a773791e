import type { AppDeps, ApiApp } from "./deps.ts";

export const OPENAPI_PATH = "/openapi.json";

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests, so it cannot drift
 * from what the API accepts (a test checks every route is documented and every documented route answers).
 */
export function registerOpenApi(app: ApiApp, deps: AppDeps): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A Supabase Auth access token (supabase-js sends the session's token).",
  });
  app.doc31(OPENAPI_PATH, {
    openapi: "3.1.0",
    info: {
      title: "synth platform API",
      version: deps.config.version,
      description:
        "Synthetic tabular data on Supabase. Every answer is the envelope {success, data, message, timestamp} or " +
        "{success: false, error: {code, message, details}, timestamp}. Authentication is Supabase Auth (supabase-js).",
    },
  });
}
