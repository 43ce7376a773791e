import type { AppDeps, ApiApp } from "../deps.ts";
import * as authMe from "./auth/me.ts";
import * as health from "./system/health.ts";
import * as usersDeleteAccount from "./users/delete-account.ts";
import * as usersExport from "./users/export.ts";
import * as usersGetProfile from "./users/get-profile.ts";
import * as usersPushToken from "./users/push-token.ts";
import * as usersPutProfile from "./users/put-profile.ts";

/** Every route of the API, one module each; the OpenAPI route-coverage test reads this list. */
export const ROUTES = [
  health,
  authMe,
  usersGetProfile,
  usersPutProfile,
  usersPushToken,
  usersDeleteAccount,
  usersExport,
] as const;

export function registerRoutes(app: ApiApp, deps: AppDeps): void {
  for (const route of ROUTES) route.register(app, deps);
}
