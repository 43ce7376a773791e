import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf, errorBody } from "../../envelope.ts";
import { ok } from "../../context.ts";
import { synthError } from "../../../shared/errors.ts";

const healthSchema = z.object({
  status: z.literal("ok"),
  version: z.string(),
  database: z.object({ reachable: z.boolean(), latency_ms: z.number() }),
});

export const route = createRoute({
  method: "get",
  path: "/health",
  tags: ["system"],
  summary: "Liveness and database reachability",
  responses: {
    200: {
      description: "The API and its database answer",
      content: { "application/json": { schema: envelopeOf(healthSchema) } },
    },
    503: {
      description: "The database does not answer",
      content: { "application/json": { schema: z.unknown() } },
    },
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const started = deps.clock.monotonicMs();
    try {
      await sql`select 1`.execute(deps.db);
    } catch {
      c.header("x-synth-error-code", "DB_ERROR");
      return c.json(
        errorBody(synthError("DB_ERROR", "the database is not reachable"), deps.clock.now()),
        503,
      ) as never;
    }
    const latency = Math.round((deps.clock.monotonicMs() - started) * 100) / 100;
    return ok(
      c,
      deps,
      {
        status: "ok" as const,
        version: deps.config.version,
        database: { reachable: true, latency_ms: latency },
      },
      "ok",
      200,
    );
  });
}
