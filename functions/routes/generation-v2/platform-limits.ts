import { sql } from "kysely";
import type { Tx } from "../../../shared/platform/db.ts";
import type { SqlSpecProp } from "./config-shape.ts";

/**
 * What the platform allows, read as the caller (platform_settings is readable by every signed-in user,
 * model_config_spec() is what the insert trigger checks against): the same numbers the insert enforces.
 */
export interface PlatformLimits {
  settings: Record<string, unknown>;
  modelSpec: Record<string, Record<string, SqlSpecProp>>;
  maxSampleSize: number;
  maxEpochs: number;
  maxActiveJobs: number;
  requiresApproval: boolean;
}

const num = (v: unknown, fallback: number) => (typeof v === "number" ? v : fallback);

export async function readPlatformLimits(tx: Tx): Promise<PlatformLimits> {
  const [rows, spec] = await Promise.all([
    tx.selectFrom("platform_settings").select(["key", "value"]).execute(),
    sql<{
      spec: Record<string, Record<string, SqlSpecProp>>;
    }>`select public.model_config_spec() as spec`.execute(tx),
  ]);
  const settings = Object.fromEntries(rows.map((r) => [r.key, r.value]));
  // The fallbacks are the trigger's own (setting_bigint's defaults in generation_requests_before_insert).
  return {
    settings,
    modelSpec: spec.rows[0].spec,
    maxSampleSize: num(settings.max_sample_size, 1_000_000),
    maxEpochs: num(settings.max_epochs, 2000),
    maxActiveJobs: num(settings.max_active_jobs_per_user, 5),
    requiresApproval: settings.generation_requires_approval === true,
  };
}
