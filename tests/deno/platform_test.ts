// Runs under Deno (npm test calls `deno test`): the platform layer that Edge Functions use must work there
// unchanged, against the same real PostgreSQL, with RLS enforced.
import { sql } from "kysely";
import postgres from "postgres";
import { asUser, createDb } from "../../shared/platform/db.ts";
import { migrate } from "../../local/db/migrate.ts";
import { createScratchDatabase } from "../setup/scratch-database.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

Deno.test("asUser enforces row-level security under Deno", async () => {
  const scratch = await createScratchDatabase("synth_deno", Deno.env.get("SYNTH_PG_ADMIN_URL"));
  try {
    await migrate(scratch.url);
    const db = createDb({ url: scratch.url, maxConnections: 2 });
    const owner = postgres(scratch.url, { max: 1, onnotice: () => {} });
    try {
      const a = crypto.randomUUID();
      const b = crypto.randomUUID();
      for (const id of [a, b]) {
        await owner`insert into auth.users (id, email) values (${id}, ${`${id}@example.test`})`;
        await owner`insert into public.datasets (owner_id, name, storage_path, format) values (${id}, 'd', ${`${id}/d.csv`}, 'csv')`;
      }
      const seen = await asUser(db, { sub: a, role: "authenticated" }, (tx) =>
        tx.selectFrom("datasets").select("owner_id").execute(),
      );
      assertEquals(seen, [{ owner_id: a }]);
      const uid = await asUser(db, { sub: b, role: "authenticated" }, (tx) =>
        sql<{ uid: string }>`select auth.uid() as uid`.execute(tx),
      );
      assertEquals(uid.rows, [{ uid: b }]);
    } finally {
      await owner.end();
      await db.destroy();
    }
  } finally {
    await scratch.drop();
  }
});
