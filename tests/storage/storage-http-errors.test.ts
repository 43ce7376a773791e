import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { isSynthError, type SynthError } from "../../shared/errors.ts";
import { createHttpStorage } from "../../shared/platform/storage-http.ts";

/** What the HTTP adapter sends and how it reads Storage's answers, against canned Storage replies. */
function storageAnswering(status: number, body: unknown) {
  const seen: Headers[] = [];
  const app = new Hono().all("*", (c) => {
    seen.push(c.req.raw.headers);
    return c.json(body, status as 400);
  });
  const port = createHttpStorage({
    url: "http://storage.test/",
    anonKey: "anon-key",
    serviceRoleKey: "service-key",
    fetch: async (input, init) => app.fetch(new Request(input, init)),
  });
  return { port, seen };
}

async function failure(promise: Promise<unknown>): Promise<SynthError> {
  try {
    await promise;
  } catch (error) {
    if (isSynthError(error)) return error;
    throw error;
  }
  throw new Error("expected a failure");
}

describe("HTTP storage adapter", () => {
  it("sends the anon key with the user's token, and the service key as both for the service role", async () => {
    const { port, seen } = storageAnswering(400, {
      statusCode: "404",
      code: "NoSuchKey",
      message: "Object not found",
    });
    await port.forUser("user-jwt").info("datasets", "u/a.csv");
    await port.asServiceRole("test: header check").info("datasets", "u/a.csv");
    expect([seen[0].get("apikey"), seen[0].get("authorization")]).toEqual(["anon-key", "Bearer user-jwt"]);
    expect([seen[1].get("apikey"), seen[1].get("authorization")]).toEqual([
      "service-key",
      "Bearer service-key",
    ]);
  });

  it.each([
    [
      400,
      { statusCode: "404", code: "NoSuchKey", error: "not_found", message: "Object not found" },
      "NOT_FOUND",
    ],
    [400, { statusCode: "403", code: "AccessDenied", error: "Unauthorized", message: "rls" }, "FORBIDDEN"],
    [
      400,
      { statusCode: "409", code: "ResourceAlreadyExists", error: "Duplicate", message: "dup" },
      "CONFLICT",
    ],
    [
      400,
      { statusCode: "400", code: "InvalidJWT", error: "InvalidJWT", message: "jwt expired" },
      "UNAUTHORIZED",
    ],
    [
      400,
      { statusCode: "400", code: "InvalidRequest", error: "InvalidRequest", message: "odd" },
      "STORAGE_ERROR",
    ],
    [500, { statusCode: "500", code: "InternalError", error: "internal", message: "boom" }, "STORAGE_ERROR"],
  ] as const)("maps HTTP %i %j to %s", async (status, body, code) => {
    const error = await failure(
      storageAnswering(status, body).port.forUser("t").download("datasets", "u/a.csv"),
    );
    expect(error.code).toBe(code);
    if (code === "STORAGE_ERROR") expect(error.details.retryable).toBe(status >= 500);
  });

  it("reports an unreachable Storage as retryable", async () => {
    const port = createHttpStorage({ url: "http://127.0.0.1:9", anonKey: "a", serviceRoleKey: "s" });
    const error = await failure(port.forUser("t").download("datasets", "u/a.csv"));
    expect(error).toMatchObject({ code: "STORAGE_ERROR", details: { retryable: true } });
  });

  it("refuses an unsafe name before any request", async () => {
    const { port, seen } = storageAnswering(200, {});
    const error = await failure(port.forUser("t").download("datasets", "u/../v/a.csv"));
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(seen).toHaveLength(0);
  });
});
