import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";
import { createDb, type Db, type JwtClaims } from "../../shared/platform/db.ts";
import { migrate } from "../../local/db/migrate.ts";
import { createScratchDatabase } from "../setup/scratch-database.ts";
import { seedSql, type AnySql, type SeedSql } from "../contract/seed-sql.ts";

/** A superuser connection (bypasses RLS) for arranging rows, and the app's kysely Db for acting as users. */
export interface DbFixture {
  su: postgres.Sql;
  db: Db;
  close(): Promise<void>;
}

/** What a contract suite runs on: the superuser seeding connection and the app's Db, of either database. */
export interface ContractDb {
  su: SeedSql;
  db: Db;
  close(): Promise<void>;
}

export function openDb(): DbFixture {
  const url = inject("databaseUrl");
  const su = postgres(url, { max: 2, onnotice: () => {} });
  const db = createDb({ url, maxConnections: 4 });
  return { su, db, close: async () => Promise.all([su.end(), db.destroy()]).then(() => undefined) };
}

export interface TestUser {
  id: string;
  email: string;
  claims: JwtClaims;
}

/** Signs a user up the way Supabase Auth does: a row in auth.users (the profile trigger fires). */
export async function createUser(
  sql: AnySql,
  options: { admin?: boolean; userMetadata?: Record<string, unknown> } = {},
): Promise<TestUser> {
  const su = seedSql(sql);
  const id = randomUUID();
  const email = `${id.slice(0, 8)}@example.test`;
  const appMetadata = options.admin ? { provider: "email", role: "admin" } : { provider: "email" };
  const userMetadata = options.userMetadata ?? {};
  await su`insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data)
           values (${id}, 'authenticated', 'authenticated', ${email}, ${su.json(appMetadata)}, ${su.json(userMetadata)})`;
  return {
    id,
    email,
    claims: {
      sub: id,
      role: "authenticated",
      email,
      app_metadata: appMetadata,
      user_metadata: userMetadata,
    },
  };
}

/** A registered dataset, 'ready' unless told otherwise (jobs may only be created on ready datasets). */
export async function createDataset(
  sql: AnySql,
  ownerId: string,
  status: "uploaded" | "validating" | "ready" | "invalid" = "ready",
): Promise<string> {
  const su = seedSql(sql);
  const [row] = await su<{ id: string }[]>`
    insert into public.datasets (owner_id, name, storage_path, format, status)
    values (${ownerId}, 'people', ${`${ownerId}/${randomUUID()}.csv`}, 'csv', ${status}) returning id`;
  return row.id;
}

export async function createGeneration(sql: AnySql, ownerId: string, datasetId: string): Promise<string> {
  const su = seedSql(sql);
  const [row] = await su<{ id: string }[]>`
    insert into public.generation_requests (owner_id, dataset_id, model_type, sample_size)
    values (${ownerId}, ${datasetId}, 'ctgan', 100) returning id`;
  return row.id;
}

/**
 * A generation request waiting for approval. The platform setting is switched on and off inside one
 * transaction, so no other test (CI runs every file on one database at once) ever sees approval required.
 */
export async function createPendingGeneration(
  sql: AnySql,
  ownerId: string,
  datasetId?: string,
): Promise<string> {
  const su = seedSql(sql);
  const dataset = datasetId ?? (await createDataset(su, ownerId));
  return su.begin(async (tx) => {
    await tx`update public.platform_settings set value = 'true' where key = 'generation_requires_approval'`;
    const [row] = await tx<{ id: string }[]>`
      insert into public.generation_requests (owner_id, dataset_id, model_type, sample_size)
      values (${ownerId}, ${dataset}, 'ctgan', 100) returning id`;
    await tx`update public.platform_settings set value = 'false' where key = 'generation_requires_approval'`;
    return row.id;
  });
}

/** The SQLSTATE of a rejected database call (postgres.js errors carry it as `code`). */
export async function sqlState(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") return code;
    throw error;
  }
  return "ok";
}

/** The shared test database as a contract suite's database. */
export async function openContractDb(): Promise<ContractDb> {
  const { su, db, close } = openDb();
  return { su: seedSql(su), db, close };
}

/**
 * A migrated database of the suite's own on the test server, as a contract suite's database (for suites
 * whose functions see every row of the database, such as the queue's claim).
 */
export async function openScratchContractDb(prefix: string): Promise<ContractDb> {
  const admin = new URL(inject("databaseUrl"));
  admin.pathname = "/postgres";
  const scratch = await createScratchDatabase(prefix, admin.toString());
  await migrate(scratch.url);
  const su = postgres(scratch.url, { max: 2, onnotice: () => {} });
  const db = createDb({ url: scratch.url, maxConnections: 12 });
  return {
    su: seedSql(su),
    db,
    close: async () => {
      await Promise.all([su.end(), db.destroy()]);
      await scratch.drop();
    },
  };
}
