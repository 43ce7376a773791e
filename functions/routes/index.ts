import type { AppDeps, ApiApp } from "../deps.ts";
import * as authMe from "./auth/me.ts";
import * as generationCancel from "./generation/cancel.ts";
import * as generationDownload from "./generation/download.ts";
import * as generationRequests from "./generation/requests.ts";
import * as generationStart from "./generation/start.ts";
import * as generationStatus from "./generation/status.ts";
import * as generationV2Config from "./generation-v2/config.ts";
import * as generationV2Start from "./generation-v2/start.ts";
import * as generationV2Validate from "./generation-v2/validate.ts";
import * as health from "./system/health.ts";

/** Every route of the API, one module each; the OpenAPI route-coverage test reads this list. */
export const ROUTES = [
  authMe,
  generationStart,
  generationRequests,
  generationStatus,
  generationDownload,
  generationCancel,
  generationV2Config,
  generationV2Validate,
  generationV2Start,
  health,
] as const;

export function registerRoutes(app: ApiApp, deps: AppDeps): void {
  for (const route of ROUTES) route.register(app, deps);
}
