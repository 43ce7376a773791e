// Boots the Edge Function's entrypoint (supabase/functions/api/index.ts) under Deno, as Supabase would,
// against a migrated scratch database, and calls it over HTTP: /health, /openapi.json and a route that
// needs a verified user and runs under RLS.
import postgres from "postgres";
import { mintAccessToken } from "../../shared/platform/jwt-mint.ts";
import { migrate } from "../../local/db/migrate.ts";
import { createScratchDatabase } from "../setup/scratch-database.ts";

const SECRET = "deno-test-secret-deno-test-secret-0123456789";

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function freePort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function waitForHealth(base: string, child: Deno.ChildProcess): Promise<Response> {
  const deadline = Date.now() + 60_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fetch(`${base}/api/health`);
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  child.kill("SIGKILL");
  throw new Error(`the function did not start: ${String(last)}`);
}

Deno.test(
  "the api Edge Function boots under Deno and serves /health, /openapi.json and /auth/me",
  async () => {
    const scratch = await createScratchDatabase("synth_deno_api", Deno.env.get("SYNTH_PG_ADMIN_URL"));
    const su = postgres(scratch.url, { max: 1, onnotice: () => {} });
    let child: Deno.ChildProcess | null = null;
    try {
      await migrate(scratch.url);
      const id = crypto.randomUUID();
      await su`insert into auth.users (id, aud, role, email, raw_app_meta_data)
             values (${id}, 'authenticated', 'authenticated', ${`${id}@example.test`}, '{"provider":"email"}')`;
      const port = await freePort();
      child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          "--allow-env",
          "--allow-read",
          "--allow-sys",
          "supabase/functions/api/index.ts",
        ],
        env: {
          PORT: String(port),
          SUPABASE_URL: "http://127.0.0.1:1",
          SUPABASE_ANON_KEY: "anon",
          SUPABASE_SERVICE_ROLE_KEY: "service",
          SUPABASE_DB_URL: scratch.url,
          SUPABASE_JWT_SECRET: SECRET,
          SYNTH_LOG_LEVEL: "warn",
        },
        stdout: "null",
        stderr: "inherit",
      }).spawn();
      const base = `http://127.0.0.1:${port}`;
      const health = await waitForHealth(base, child);
      const healthBody = await health.json();
      assert(
        health.status === 200 && healthBody.data.database.reachable === true,
        JSON.stringify(healthBody),
      );

      const doc = await (await fetch(`${base}/api/openapi.json`)).json();
      assert(
        doc.openapi === "3.1.0" && "/api/auth/me" in doc.paths,
        "the OpenAPI document lists /api/auth/me",
      );

      const token = await mintAccessToken(SECRET, { sub: id, email: `${id}@example.test` });
      const me = await fetch(`${base}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
      const meBody = await me.json();
      assert(
        me.status === 200 && meBody.data.id === id && meBody.data.profile?.id === id,
        JSON.stringify(meBody),
      );

      const anonymous = await fetch(`${base}/api/auth/me`);
      const anonymousBody = await anonymous.json();
      assert(
        anonymous.status === 401 && anonymousBody.error.code === "UNAUTHORIZED",
        JSON.stringify(anonymousBody),
      );
    } finally {
      if (child) {
        child.kill("SIGTERM");
        await child.status;
      }
      await su.end();
      await scratch.drop();
    }
  },
);
