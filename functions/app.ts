import { OpenAPIHono } from "@hono/zod-openapi";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { synthError } from "../shared/errors.ts";
import type { AppDeps, ApiApp, ApiEnv } from "./deps.ts";
import { errorBody } from "./envelope.ts";
import { httpStatusOf, toPublicError } from "./http-errors.ts";
import { authenticate } from "./middleware/authenticate.ts";
import { bodySize } from "./middleware/body-size.ts";
import { cors } from "./middleware/cors.ts";
import { requestContext } from "./middleware/request-context.ts";
import { securityHeaders } from "./middleware/security-headers.ts";
import { registerRoutes } from "./routes/index.ts";
import { registerOpenApi } from "./openapi.ts";

export interface AppOptions {
  /** Where the app is mounted: `/api` (the function's name) on Supabase and in `synth api`. */
  basePath?: string;
}

/** The platform API: one Hono app, runtime-neutral; the entrypoint builds `deps` and serves `app.fetch`. */
export function createApp(deps: AppDeps, options: AppOptions = {}): ApiApp {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const problems = result.error.issues.map((issue) => ({
          path: issue.path.map(String).join("."),
          message: issue.message,
          code: issue.code,
        }));
        throw synthError(
          "VALIDATION_ERROR",
          problems.length === 1
            ? `${problems[0].path || "request"}: ${problems[0].message}`
            : `the request has ${problems.length} problems`,
          { problems },
        );
      }
    },
  }).basePath(options.basePath ?? "/api") as unknown as ApiApp;

  app.use("*", requestContext(deps));
  app.use("*", securityHeaders());
  app.use("*", cors(deps.config.corsOrigins));
  app.use("*", bodySize(deps.config.limits));
  app.use("*", authenticate(deps));

  registerRoutes(app, deps);
  registerOpenApi(app, deps);

  app.notFound((c) => {
    c.header("x-synth-error-code", "NOT_FOUND");
    return c.json(
      errorBody(synthError("NOT_FOUND", `no endpoint ${c.req.method} ${c.req.path}`), deps.clock.now()),
      404,
    );
  });

  app.onError((error, c) => {
    const known = toPublicError(error);
    const rendered =
      known ?? synthError("INTERNAL_ERROR", "something went wrong on our side; the request id identifies it");
    const status = httpStatusOf(rendered.code) as ContentfulStatusCode;
    if (known === null || status >= 500) {
      c.get("log")?.log("error", "request failed", {
        error:
          error instanceof Error
            ? { name: error.name, message: error.message, stack: error.stack }
            : String(error),
      });
    }
    const retryAfter = rendered.details.retryAfterSeconds;
    if (typeof retryAfter === "number") c.header("Retry-After", String(Math.ceil(retryAfter)));
    if (
      rendered.code === "UNAUTHORIZED" ||
      rendered.code === "INVALID_TOKEN" ||
      rendered.code === "TOKEN_EXPIRED"
    ) {
      c.header("WWW-Authenticate", `Bearer error="invalid_token"`);
    }
    c.header("x-synth-error-code", rendered.code);
    // Internal causes never reach the client: details only come from our own errors.
    const details = known === null || status >= 500 ? {} : rendered.details;
    return c.json(
      errorBody({ code: rendered.code, message: rendered.message, details }, deps.clock.now()),
      status,
    );
  });

  return app;
}
