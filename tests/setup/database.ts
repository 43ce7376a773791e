import type {} from "vitest";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { migrate } from "../../local/db/migrate.ts";

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
  const adminUrl = process.env.SYNTH_PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const name = `synth_test_${Date.now()}_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  project.provide("databaseUrl", url.toString());
  return async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  };
}
