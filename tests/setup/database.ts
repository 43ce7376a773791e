import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { migrate } from "../../local/db/migrate.ts";
import { createScratchDatabase } from "./scratch-database.ts";

/**
 * Every test run gets a fresh, uniquely named database with all migrations applied, dropped at the end.
 * DATABASE_URL, when set (CI creates one), is used as it is instead; SYNTH_PG_ADMIN_URL names the server
 * on which a fresh database is created otherwise.
 */
declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.DATABASE_URL;
  if (given) {
    await migrate(given);
    project.provide("databaseUrl", given);
    return async () => {};
  }
  const scratch = await createScratchDatabase("synth_test", process.env.SYNTH_PG_ADMIN_URL);
  await migrate(scratch.url);
  project.provide("databaseUrl", scratch.url);
  return scratch.drop;
}
