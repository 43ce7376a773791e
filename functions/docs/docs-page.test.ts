import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderSwaggerModule, swaggerSources } from "../../cli/vendor-swagger.ts";
import { launchChromium } from "../../tests/metrics/chromium.ts";
import { DOCS_CSP, DOCS_INIT_JS, docsAssets, docsPageHtml } from "./docs-page.ts";
import * as vendor from "./swagger-vendor.generated.ts";

const ORIGIN = "http://docs.test";

/** Every URL an HTML page would fetch: src/href attributes and the OpenAPI data attribute. */
const pageUrls = (html: string): string[] =>
  [...html.matchAll(/\s(?:src|href|data-openapi-url)="([^"]*)"/g)].map((m) => m[1]);

describe("docs page", () => {
  it("serves the installed swagger-ui-dist (regenerate with `npx tsx cli/vendor-swagger.ts`)", () => {
    const s = swaggerSources();
    expect(vendor.SWAGGER_UI_VERSION).toBe(s.version);
    expect(vendor.SWAGGER_UI_VERSION).toMatch(/^5\./);
    expect(vendor.SWAGGER_UI_BUNDLE_JS).toBe(s.bundle);
    expect(vendor.SWAGGER_UI_CSS).toBe(s.css);
    expect(renderSwaggerModule()).toContain(`"${s.version}"`);
    for (const src of [vendor.SWAGGER_UI_BUNDLE_JS, vendor.SWAGGER_UI_CSS]) {
      expect(src).not.toMatch(/sourceMappingURL/);
      expect(src.startsWith(`/*! swagger-ui-dist ${s.version}, Apache-2.0`)).toBe(true);
    }
    // The bundled libraries' licence banners replace the pointer to a LICENSE.txt that is not served.
    expect(vendor.SWAGGER_UI_BUNDLE_JS).toContain("Copyright (c) 2018 Jed Watson");
    expect(vendor.SWAGGER_UI_BUNDLE_JS).not.toContain("please see swagger-ui-bundle.js.LICENSE.txt");
  });

  it("references only its own assets, relative to where it is served", () => {
    const html = docsPageHtml({ openapiUrl: "openapi.json", assetBase: "docs/", title: "synth <API>" });
    expect(pageUrls(html)).toEqual([
      "docs/swagger-ui.css",
      "openapi.json",
      "docs/swagger-ui-bundle.js",
      "docs/docs-init.js",
    ]);
    expect(html).toContain("<title>synth &lt;API&gt;</title>");
    for (const text of [html, DOCS_INIT_JS]) {
      expect(text).not.toMatch(/https?:|\/\/cdn|unpkg|jsdelivr/i);
    }
    // No inline script: under `script-src 'self'` only the two asset scripts run.
    expect(html.match(/<script\b[^>]*>/g)).toEqual([
      '<script src="docs/swagger-ui-bundle.js">',
      '<script src="docs/docs-init.js">',
    ]);
    expect(html.match(/<\/script>/g)?.length).toBe(2);
    expect(DOCS_INIT_JS).toContain("validatorUrl: null");
    expect(DOCS_INIT_JS).toContain("persistAuthorization: true");
    expect(Object.keys(docsAssets()).sort()).toEqual([
      "docs-init.js",
      "swagger-ui-bundle.js",
      "swagger-ui.css",
    ]);
  });

  it("escapes what it puts in attributes", () => {
    const html = docsPageHtml({ openapiUrl: `x"><script>alert(1)</script>`, assetBase: "a" });
    expect(html).not.toContain("<script>alert");
    expect(html).toContain('data-openapi-url="x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });
});

/** A tiny API the way a function would mount the docs: under a path prefix, URLs relative to the page. */
function docsApp(): Hono {
  const openapi = {
    openapi: "3.1.0",
    info: { title: "Docs test API", version: "1.0.0" },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    // Operations are under the function's path, not the origin's root.
    servers: [{ url: "/functions/v1/api" }],
    paths: {
      "/datasets": {
        get: {
          operationId: "listDatasets",
          summary: "List the caller's datasets",
          responses: { 200: { description: "ok" } },
        },
      },
      "/generation-v2/validate": {
        post: {
          operationId: "validateGeneration",
          summary: "Estimate a fit",
          responses: { 200: { description: "ok" } },
        },
      },
    },
  };
  const app = new Hono().basePath("/functions/v1/api");
  const assets = docsAssets();
  app.get("/openapi.json", (c) => c.json(openapi));
  app.get("/datasets", (c) =>
    c.req.header("Authorization") === "Bearer test-token"
      ? c.json({ datasets: [{ name: "penguins" }] })
      : c.json({ error: "unauthorized" }, 401),
  );
  app.get("/docs", (c) => {
    c.header("Content-Security-Policy", DOCS_CSP);
    return c.html(docsPageHtml({ openapiUrl: "openapi.json", assetBase: "docs", title: "Docs test API" }));
  });
  app.get("/docs/:asset", (c) => {
    const asset = assets[c.req.param("asset")];
    if (!asset) return c.notFound();
    return c.body(asset.body, 200, { "Content-Type": asset.contentType });
  });
  return app;
}

describe("docs page in Chromium", () => {
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), "synth-docs-chromium-"));
    context = await launchChromium(profile);
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("renders the operations offline under `script-src 'self'` and calls one, asking nothing of another origin", async () => {
    const app = docsApp();
    const page = await context.newPage();
    const problems: string[] = [];
    const foreign: string[] = [];
    const served: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
    // The browser is offline: requests to our origin are answered by the Hono app in-process, any other
    // is refused and recorded.
    await page.route("**/*", async (route) => {
      const request = route.request();
      if (!request.url().startsWith(`${ORIGIN}/`)) {
        foreign.push(request.url());
        return route.abort();
      }
      served.push(new URL(request.url()).pathname);
      const response = await app.fetch(
        new Request(request.url(), { method: request.method(), headers: request.headers() }),
      );
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => (headers[name] = value));
      return route.fulfill({
        status: response.status,
        headers,
        body: Buffer.from(await response.arrayBuffer()),
      });
    });
    const response = await page.goto(`${ORIGIN}/functions/v1/api/docs`, { waitUntil: "load" });
    expect(response?.headers()["content-security-policy"]).toBe(DOCS_CSP);
    await page.waitForSelector(".opblock", { timeout: 30_000 });
    const state = await page.evaluate(() => ({
      title: document.querySelector(".info .title")?.textContent ?? null,
      operations: Array.from(document.querySelectorAll(".opblock-summary")).map((el) =>
        [
          el.querySelector(".opblock-summary-method")?.textContent,
          el.querySelector(".opblock-summary-path")?.textContent?.replace(/\u200b/g, ""),
          el.querySelector(".opblock-summary-description")?.textContent,
        ].join(" "),
      ),
      authorize: document.querySelector(".btn.authorize") !== null,
      styled: getComputedStyle(document.querySelector(".swagger-ui .info .title") as Element).fontSize,
    }));
    expect(state.title).toContain("Docs test API");
    expect(state.operations).toEqual([
      "GET /datasets List the caller's datasets",
      "POST /generation-v2/validate Estimate a fit",
    ]);
    expect(state.authorize).toBe(true);
    // swagger-ui.css applied (the browser default for a div's text is 16px; the stylesheet sets 36px).
    expect(state.styled).toBe("36px");

    // Interactive: authorise with a bearer token, then try an operation; the call goes to the function.
    await page.click(".btn.authorize");
    await page.fill(".modal-ux input", "test-token");
    await page.click(".modal-ux .auth-btn-wrapper .authorize");
    await page.click(".modal-ux .btn-done");
    await page.click("#operations-default-listDatasets .opblock-summary");
    await page.click("#operations-default-listDatasets .try-out__btn");
    await page.click("#operations-default-listDatasets .execute");
    const status = page.locator(
      "#operations-default-listDatasets .live-responses-table tr.response .response-col_status",
    );
    await status.first().waitFor({ timeout: 20_000 });
    expect((await status.first().textContent())?.trim()).toBe("200");
    const body = await page
      .locator("#operations-default-listDatasets .live-responses-table tr.response .microlight")
      .first()
      .textContent();
    expect(body).toContain("penguins");
    // persistAuthorization: the token is kept for the next visit.
    const stored = await page.evaluate(() => localStorage.getItem("authorized"));
    expect(stored).toContain("test-token");

    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
    expect(new Set(served)).toEqual(
      new Set([
        "/functions/v1/api/docs",
        "/functions/v1/api/docs/swagger-ui.css",
        "/functions/v1/api/docs/swagger-ui-bundle.js",
        "/functions/v1/api/docs/docs-init.js",
        "/functions/v1/api/openapi.json",
        "/functions/v1/api/datasets",
      ]),
    );
    await page.close();
  });
});
