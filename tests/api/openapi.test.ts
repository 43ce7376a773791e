import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
}

const HTTP_METHODS = new Set(["get", "post", "put", "delete", "patch"]);

/** `/api/generation/status/{id}` (OpenAPI) and `/api/generation/status/:id` (Hono) name one route. */
const canonical = (path: string) => path.replace(/\{([^}]+)\}/g, ":$1");

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 and lists every route the app serves, and nothing it does not", async () => {
    const res = await h.call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = JSON.parse(res.text) as OpenApiDoc;
    expect(doc.openapi).toBe("3.1.0");
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => HTTP_METHODS.has(m))
          .map((m) => `${m.toUpperCase()} ${canonical(path)}`),
      ),
    );
    const served = new Set(
      h.app.routes
        .filter((r) => r.method !== "ALL" && !r.path.endsWith("*"))
        .map((r) => `${r.method} ${r.path}`)
        // The document and the docs page describe the API; they are not part of it.
        .filter((r) => !/ \/api\/(openapi\.json|docs)/.test(r)),
    );
    expect([...served].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !served.has(r))).toEqual([]);
    expect(served.size).toBeGreaterThan(1);
  });

  it("every documented operation answers (no route-level 404), with an error code when it refuses", async () => {
    const doc = JSON.parse((await h.call("/openapi.json")).text) as OpenApiDoc;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops).filter((m) => HTTP_METHODS.has(m))) {
        const concrete = path
          .replace(/^\/api/, "")
          .replace(/\{[^}]+\}/g, "00000000-0000-4000-8000-000000000000");
        const res = await h.call(concrete, { method: method.toUpperCase() });
        expect(res.body.error?.message ?? "", `${method} ${path}`).not.toMatch(/^no endpoint/);
        if (!res.body.success) expect(res.body.error?.code, `${method} ${path}`).toMatch(/^[A-Z_]+$/);
      }
    }
  });
});
