import type { AppDeps, ApiApp } from "../deps.ts";
import * as authMe from "./auth/me.ts";
import * as health from "./system/health.ts";
import * as uploadDataset from "./upload/dataset.ts";
import * as deleteDataset from "./upload/delete-dataset.ts";
import * as getDataset from "./upload/get-dataset.ts";
import * as listDatasets from "./upload/list-datasets.ts";
import * as registerDataset from "./upload/register.ts";

/** Every route of the API, one module each; the OpenAPI route-coverage test reads this list. */
export const ROUTES = [
  health,
  authMe,
  uploadDataset,
  registerDataset,
  listDatasets,
  getDataset,
  deleteDataset,
] as const;

export function registerRoutes(app: ApiApp, deps: AppDeps): void {
  for (const route of ROUTES) route.register(app, deps);
}
