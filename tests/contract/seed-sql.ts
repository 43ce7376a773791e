import type postgres from "postgres";
import type { PGlite } from "@electric-sql/pglite";
import type { PgliteSession } from "../../local/db/pglite-driver.ts";

/**
 * The superuser connection a contract test arranges rows with (it bypasses RLS), whichever database runs
 * the contract: the subset of postgres.js's tagged template the tests use (`su\`...\``, `su.json`,
 * `su.begin`), so the suites read the same on PostgreSQL and on PGlite.
 */
export interface SeedSql {
  <T extends readonly object[] = Record<string, unknown>[]>(
    template: TemplateStringsArray,
    ...values: unknown[]
  ): Promise<T>;
  json(value: unknown): unknown;
  begin<T>(fn: (tx: SeedSql) => Promise<T>): Promise<T>;
  readonly [SEED]: true;
}

const SEED = Symbol("seed-sql");

/** A postgres.js connection, or a SeedSql already. */
export type AnySql = postgres.Sql | SeedSql;

export function seedSql(su: AnySql): SeedSql {
  return SEED in su ? su : fromPostgresJs(su);
}

function fromPostgresJs(su: postgres.Sql | postgres.TransactionSql): SeedSql {
  const call = (template: TemplateStringsArray, ...values: unknown[]) =>
    su(template, ...(values as postgres.ParameterOrFragment<never>[])) as unknown as Promise<never>;
  return Object.assign(call, {
    json: (value: unknown) => su.json(value as postgres.JSONValue),
    begin: <T>(fn: (tx: SeedSql) => Promise<T>) =>
      (su as postgres.Sql).begin((tx) => fn(fromPostgresJs(tx))) as Promise<T>,
    [SEED]: true as const,
  });
}

/** JSON values marked by `su.json`, sent as they are: PGlite serializes them by the parameter's type. */
class Json {
  constructor(readonly value: unknown) {}
}

function parameter(value: unknown): unknown {
  if (value instanceof Json) return value.value;
  if (value instanceof Date) return value.toISOString();
  return value;
}

function compile(template: TemplateStringsArray): string {
  return template.reduce((text, part, i) => (i === 0 ? part : `${text}$${i}${part}`), "");
}

/**
 * The same over PGlite, as the superuser `postgres`: each statement (or `begin`'s whole transaction) holds
 * the session lock the app's Db takes, so seeding never lands inside an app transaction.
 */
export function pgliteSeedSql(pglite: PGlite, session: PgliteSession): SeedSql {
  const run = async <T>(template: TemplateStringsArray, values: unknown[]) =>
    (await pglite.query(compile(template), values.map(parameter))).rows as unknown as T;
  const inTransaction: SeedSql = Object.assign(
    <T>(template: TemplateStringsArray, ...values: unknown[]) => run<T>(template, values),
    {
      json: (value: unknown) => new Json(value),
      begin: () => Promise.reject(new Error("nested begin is not supported")),
      [SEED]: true as const,
    },
  ) as SeedSql;
  return Object.assign(
    <T>(template: TemplateStringsArray, ...values: unknown[]) =>
      session.exclusive(() => run<T>(template, values)),
    {
      json: (value: unknown) => new Json(value),
      begin: <T>(fn: (tx: SeedSql) => Promise<T>) =>
        session.exclusive(async () => {
          await pglite.exec("begin");
          try {
            const result = await fn(inTransaction);
            await pglite.exec("commit");
            return result;
          } catch (error) {
            await pglite.exec("rollback");
            throw error;
          }
        }),
      [SEED]: true as const,
    },
  ) as SeedSql;
}
