import { docsAssets, docsPageHtml } from "./docs/docs-page.ts";
import type { AppDeps, ApiApp } from "./deps.ts";
import { notFound } from "../shared/errors.ts";

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
    // Paths start with /api; clients reach them behind the gateway's prefix (/functions/v1 on Supabase).
    servers: [{ url: deps.config.publicPrefix || "/" }],
    info: {
      title: "synth platform API",
      version: deps.config.version,
      description:
        "Synthetic tabular data on Supabase. Every answer is the envelope {success, data, message, timestamp} or " +
        "{success: false, error: {code, message, details}, timestamp}. Authentication is Supabase Auth (supabase-js).",
    },
  });

  // The interactive reference, served by the function itself (assets included: nothing from a CDN). Paths
  // are relative, so the page works wherever the function is mounted.
  const assets = docsAssets();
  app.get("/docs", (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.html(
      docsPageHtml({ openapiUrl: "openapi.json", assetBase: "docs", title: "synth platform API" }),
    );
  });
  app.get("/docs/:asset", (c) => {
    const asset = assets[c.req.param("asset")];
    if (!asset) throw notFound("docs asset");
    c.header("Content-Type", asset.contentType);
    c.header("Cache-Control", "public, max-age=86400");
    return c.body(asset.body);
  });
}
