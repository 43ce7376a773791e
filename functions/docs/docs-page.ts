/**
 * The interactive API reference (`GET /docs`): Swagger UI served by the function itself, so it works
 * offline and under a strict CSP (`script-src 'self'`): the page has no inline script; the initialiser is
 * its own asset and reads the OpenAPI document's URL from a data attribute. Nothing is read from disk at
 * run time (the assets are string constants, see cli/vendor-swagger.ts), as Supabase Edge Functions need.
 *
 * URLs may be relative: a page served at `/functions/v1/api/docs` with `assetBase: "docs"` loads
 * `/functions/v1/api/docs/swagger-ui.css`, and `openapiUrl: "openapi.json"` is `/functions/v1/api/openapi.json`.
 */
import { SWAGGER_UI_BUNDLE_JS, SWAGGER_UI_CSS, SWAGGER_UI_VERSION } from "./swagger-vendor.generated.ts";

export { SWAGGER_UI_VERSION };

export interface DocsPageOptions {
  /** The OpenAPI document, relative to the page or absolute on the same origin. */
  openapiUrl: string;
  /** Where docsAssets() are served, without a trailing slash ("docs" or "/api/docs"). */
  assetBase: string;
  title?: string;
}

export interface DocsAsset {
  body: string;
  contentType: string;
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

/**
 * The page's own script. validatorUrl null: the online-validator badge (drawn by the standalone layout, not
 * this default one) would send the document to validator.swagger.io; off, should the layout ever change.
 */
export const DOCS_INIT_JS = `"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    persistAuthorization: true,
    deepLinking: true,
    validatorUrl: null,
  });
})();
`;

/**
 * A Content-Security-Policy the page works under: every script and stylesheet from the function itself;
 * Swagger UI sets inline styles and draws its icons from data: URIs, hence those two allowances.
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function docsPageHtml(options: DocsPageOptions): string {
  const base = options.assetBase.replace(/\/+$/, "");
  const title = escapeHtml(options.title ?? "API reference");
  const asset = (name: string): string => escapeHtml(`${base}/${name}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${asset("swagger-ui.css")}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="${escapeHtml(options.openapiUrl)}"></div>
<script src="${asset("swagger-ui-bundle.js")}"></script>
<script src="${asset("docs-init.js")}"></script>
</body>
</html>
`;
}

/** The files the page loads, by name under `assetBase`. */
export function docsAssets(): Record<string, DocsAsset> {
  return {
    "swagger-ui.css": { body: SWAGGER_UI_CSS, contentType: "text/css; charset=utf-8" },
    "swagger-ui-bundle.js": { body: SWAGGER_UI_BUNDLE_JS, contentType: "text/javascript; charset=utf-8" },
    "docs-init.js": { body: DOCS_INIT_JS, contentType: "text/javascript; charset=utf-8" },
  };
}
