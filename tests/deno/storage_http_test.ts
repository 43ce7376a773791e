// Runs under Deno: the Storage HTTP adapter (what an Edge Function uses) through storage-js, against the
// local Storage routes over the same real PostgreSQL, with the storage policies enforced.
import postgres from "postgres";
import { createDb } from "../../shared/platform/db.ts";
import { createHttpStorage } from "../../shared/platform/storage-http.ts";
import { createDiskStorage } from "../../local/storage/disk-store.ts";
import { storageRoutes } from "../../local/storage/storage-routes.ts";
import { migrate } from "../../local/db/migrate.ts";
import { createScratchDatabase } from "../setup/scratch-database.ts";
import { accessToken, apiKey, TEST_JWT_SECRET, verifyToken } from "../storage/tokens.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

Deno.test("the Storage HTTP adapter round-trips bytes under Deno, and the policies hold", async () => {
  const scratch = await createScratchDatabase("synth_deno", Deno.env.get("SYNTH_PG_ADMIN_URL"));
  const root = await Deno.makeTempDir({ prefix: "synth-storage-deno-" });
  const db = createDb({ url: scratch.url, maxConnections: 2 });
  const su = postgres(scratch.url, { max: 1, onnotice: () => {} });
  try {
    await migrate(scratch.url);
    const users = [crypto.randomUUID(), crypto.randomUUID()];
    for (const id of users)
      await su`insert into auth.users (id, email) values (${id}, ${`${id}@example.test`})`;
    const claims = (sub: string) => ({ sub, role: "authenticated" as const, email: `${sub}@example.test` });
    const disk = createDiskStorage({
      root,
      db,
      verify: verifyToken,
      jwtSecret: TEST_JWT_SECRET,
      publicUrl: "http://storage.test",
    });
    const app = storageRoutes(disk);
    const storage = createHttpStorage({
      url: "http://storage.test",
      anonKey: await apiKey("anon"),
      serviceRoleKey: await apiKey("service_role"),
      fetch: async (input, init) => app.fetch(new Request(input, init)),
    });
    const [a, b] = await Promise.all(
      users.map(async (id) => storage.forUser(await accessToken({ claims: claims(id) }))),
    );
    const bytes = new Uint8Array(256).map((_, i) => i);
    await a.upload("datasets", `${users[0]}/all-bytes.bin`, bytes);
    assertEquals(Array.from(await a.download("datasets", `${users[0]}/all-bytes.bin`)), Array.from(bytes));
    assertEquals(await b.info("datasets", `${users[0]}/all-bytes.bin`), null);
    let refused = "";
    await a.upload("datasets", `${users[1]}/planted.bin`, bytes).catch((error) => (refused = error.code));
    assertEquals(refused, "FORBIDDEN");
  } finally {
    await su.end();
    await db.destroy();
    await Deno.remove(root, { recursive: true });
    await scratch.drop();
  }
});
