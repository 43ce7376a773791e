import { describe, expect, it } from "vitest";
import { availableParallelism } from "node:os";
import { jobFitThreads, loadRunnerConfig } from "../../training-runner/config.ts";
import { secretMatches } from "../../training-runner/http.ts";
import { isRetryable, isTransientDbError } from "../../training-runner/runner.ts";
import { synthError } from "../../shared/errors.ts";

const base = {
  DATABASE_URL: "postgres://x@127.0.0.1/db",
  SUPABASE_URL: "http://127.0.0.1:1",
  SUPABASE_SERVICE_ROLE_KEY: "k",
};

describe("runner configuration", () => {
  it("has the documented defaults", () => {
    const c = loadRunnerConfig(base);
    expect(c).toMatchObject({
      concurrency: 1,
      port: 8788,
      host: "127.0.0.1",
      leaseSeconds: 60,
      pollSeconds: 5,
      jobTimeoutSeconds: 3600,
      shutdownGraceSeconds: 30,
      kinds: ["generation", "dataset", "optimization_trial"],
      webhookSecret: null,
      anonKey: "k",
      fitThreads: "auto",
    });
    expect(c.runnerId).toMatch(/-\d+-[0-9a-f]{6}$/);
    expect(c.memoryMb).toBeGreaterThan(0);
  });
  it("refuses what it cannot use, naming the variable", () => {
    expect(() => loadRunnerConfig({ ...base, RUNNER_KINDS: "generation,nope" })).toThrow(
      /runner configuration/,
    );
    expect(() => loadRunnerConfig({ ...base, RUNNER_CONCURRENCY: "0" })).toThrow();
    expect(() => loadRunnerConfig({ SUPABASE_URL: "http://x" })).toThrow();
    for (const bad of ["0", "17", "two"])
      expect(() => loadRunnerConfig({ ...base, RUNNER_FIT_THREADS: bad })).toThrow(/RUNNER_FIT_THREADS/);
  });
  it("shares the cores among the jobs that can run at once", () => {
    expect(loadRunnerConfig({ ...base, RUNNER_FIT_THREADS: "2" }).fitThreads).toBe(2);
    const cores = availableParallelism();
    expect(jobFitThreads({ fitThreads: "auto", concurrency: 1 })).toEqual({ setting: "auto", cores });
    expect(jobFitThreads({ fitThreads: "auto", concurrency: 1 }, 2).cores).toBe(
      Math.max(1, Math.floor(cores / 2)),
    );
    expect(jobFitThreads({ fitThreads: 3, concurrency: 64 })).toEqual({ setting: 3, cores: 1 });
  });
});

describe("the webhook secret", () => {
  it("matches only the exact secret, whatever the lengths", () => {
    expect(secretMatches("s3cret-value", "s3cret-value")).toBe(true);
    expect(secretMatches("s3cret-valuE", "s3cret-value")).toBe(false);
    expect(secretMatches("s3cret", "s3cret-value")).toBe(false);
    expect(secretMatches("", "s3cret-value")).toBe(false);
  });
});

describe("retry decisions", () => {
  it("retries transient failures only", () => {
    expect(isRetryable(synthError("STORAGE_ERROR", "503", { retryable: true }))).toBe(true);
    expect(isRetryable(synthError("NOT_FOUND", "gone"))).toBe(false);
    expect(isRetryable(new Error("fetch failed"))).toBe(true);
    expect(isTransientDbError(Object.assign(new Error("x"), { code: "57P01" }))).toBe(true);
    expect(isTransientDbError(Object.assign(new Error("x"), { code: "CONNECTION_CLOSED" }))).toBe(true);
    expect(isTransientDbError(Object.assign(new Error("x"), { code: "22023" }))).toBe(false);
  });
});
