import type { AppDeps, ApiApp } from "../deps.ts";
import * as adminApprove from "./admin/approve.ts";
import * as adminApproveOptimization from "./admin/approve-optimization.ts";
import * as adminLogs from "./admin/logs.ts";
import * as adminReject from "./admin/reject.ts";
import * as adminRejectOptimization from "./admin/reject-optimization.ts";
import * as adminRequests from "./admin/requests.ts";
import * as adminToggleUser from "./admin/toggle-user.ts";
import * as adminUsers from "./admin/users.ts";
import * as authMe from "./auth/me.ts";
import * as notificationsDelete from "./notifications/delete.ts";
import * as notificationsList from "./notifications/list.ts";
import * as notificationsRead from "./notifications/read.ts";
import * as statsDashboard from "./stats/dashboard.ts";
import * as statsPerformance from "./stats/performance.ts";
import * as statsSystem from "./stats/system.ts";
import * as statsUsage from "./stats/usage.ts";
import * as generationCancel from "./generation/cancel.ts";
import * as generationDownload from "./generation/download.ts";
import * as generationRequests from "./generation/requests.ts";
import * as generationStart from "./generation/start.ts";
import * as generationStatus from "./generation/status.ts";
import * as generationV2Config from "./generation-v2/config.ts";
import * as generationV2Start from "./generation-v2/start.ts";
import * as generationV2Validate from "./generation-v2/validate.ts";
import * as optimizationBest from "./optimization/best.ts";
import * as optimizationStart from "./optimization/start.ts";
import * as optimizationStop from "./optimization/stop.ts";
import * as optimizationTrials from "./optimization/trials.ts";
import * as health from "./system/health.ts";
import * as uploadDataset from "./upload/dataset.ts";
import * as deleteDataset from "./upload/delete-dataset.ts";
import * as getDataset from "./upload/get-dataset.ts";
import * as listDatasets from "./upload/list-datasets.ts";
import * as registerDataset from "./upload/register.ts";
import * as usersDeleteAccount from "./users/delete-account.ts";
import * as usersExport from "./users/export.ts";
import * as usersGetProfile from "./users/get-profile.ts";
import * as usersPushToken from "./users/push-token.ts";
import * as usersPutProfile from "./users/put-profile.ts";

/** Every route of the API, one module each; the OpenAPI route-coverage test reads this list. */
export const ROUTES = [
  health,
  authMe,
  uploadDataset,
  registerDataset,
  listDatasets,
  getDataset,
  deleteDataset,
  notificationsList,
  notificationsRead,
  notificationsDelete,
  statsDashboard,
  statsPerformance,
  statsSystem,
  statsUsage,
  adminUsers,
  adminRequests,
  adminApprove,
  adminReject,
  adminApproveOptimization,
  adminRejectOptimization,
  adminLogs,
  adminToggleUser,
  usersGetProfile,
  usersPutProfile,
  usersPushToken,
  usersDeleteAccount,
  usersExport,
  generationStart,
  generationRequests,
  generationStatus,
  generationDownload,
  generationCancel,
  generationV2Config,
  generationV2Validate,
  generationV2Start,
  optimizationStart,
  optimizationTrials,
  optimizationBest,
  optimizationStop,
] as const;

export function registerRoutes(app: ApiApp, deps: AppDeps): void {
  for (const route of ROUTES) route.register(app, deps);
}
