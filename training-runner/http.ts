import { createHash, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "../shared/platform/logger.ts";
import type { Runner } from "./runner.ts";

/** The header the foundation's wake_runner() sends through pg_net (supabase/migrations/...100_foundation_helpers.sql). */
export const WEBHOOK_SECRET_HEADER = "x-synth-webhook-secret";
const MAX_WAKE_BODY_BYTES = 16 * 1024;

/**
 * Compares in time independent of where the strings differ: both sides are hashed first, so the
 * comparison is of equal-length digests and the secret's length does not leak either.
 */
export function secretMatches(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

function presentedSecret(authorization: string | undefined, header: string | undefined): string | null {
  if (authorization !== undefined) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1];
  }
  return header ?? null;
}

/** GET /health, GET /metrics (Prometheus text) and POST /wake (the Database Webhook). */
export function createRunnerHttp(
  runner: Runner,
  options: { webhookSecret: string | null; logger: Logger },
): Hono {
  const app = new Hono();
  app.get("/health", async (c) => {
    const status = runner.status();
    const dbReachable = await runner.dbReachable();
    const ok = dbReachable && !status.stopping;
    return c.json(
      {
        ok,
        runner_id: status.runnerId,
        running_jobs: status.runningJobs,
        jobs: status.jobs,
        db_reachable: dbReachable,
        listening: status.listening,
        stopping: status.stopping,
      },
      ok ? 200 : 503,
    );
  });
  app.get("/metrics", async (c) => {
    const registry = runner.metrics.registry;
    return c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
  });
  app.post(
    "/wake",
    bodyLimit({
      maxSize: MAX_WAKE_BODY_BYTES,
      onError: (c) => c.json({ ok: false, error: "body too large" }, 413),
    }),
    async (c) => {
      if (options.webhookSecret === null) {
        return c.json({ ok: false, error: "RUNNER_WEBHOOK_SECRET is not configured: /wake is off" }, 503);
      }
      const given = presentedSecret(c.req.header("authorization"), c.req.header(WEBHOOK_SECRET_HEADER));
      if (given === null || !secretMatches(given, options.webhookSecret)) {
        return c.json({ ok: false, error: "unauthorized" }, 401);
      }
      // The body is only a hint (which kind, which row); the claim decides what runs.
      let hint: unknown = null;
      try {
        const text = await c.req.text();
        hint = text === "" ? null : (JSON.parse(text) as unknown);
      } catch {
        hint = null;
      }
      const summary =
        hint !== null && typeof hint === "object"
          ? {
              kind: String((hint as Record<string, unknown>).kind ?? "").slice(0, 50),
              id: String((hint as Record<string, unknown>).id ?? "").slice(0, 50),
            }
          : {};
      options.logger.log("debug", "woken by webhook", summary);
      runner.wake("webhook");
      return c.json({ ok: true }, 202);
    },
  );
  return app;
}
