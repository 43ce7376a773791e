import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { randomBytes, randomUUID } from "node:crypto";
import { WebSocket } from "ws";
import { spawnSynth, type Proc } from "../runner/harness.ts";

/** A `synth serve` process, started as a user starts it, and the keys it printed. */
export interface Served {
  proc: Proc;
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  /** SIGTERM (or the given signal), then waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServe(options: {
  dataDir: string;
  databaseUrl?: string;
  runners?: number;
  env?: Record<string, string>;
}): Promise<Served> {
  const args = ["serve", "--port", "0", "--data-dir", options.dataDir];
  if (options.databaseUrl !== undefined) args.push("--database-url", options.databaseUrl);
  if (options.runners !== undefined) args.push("--runners", String(options.runners));
  const proc = spawnSynth(args, { RUNNER_POLL_SECONDS: "1", ...options.env });
  await proc.waitForLine(/^ready$/, 120_000);
  const value = (name: string) => {
    const line = proc.lines.find((l) => l.startsWith(`${name}=`));
    if (line === undefined) throw new Error(`synth serve printed no ${name}`);
    return line.slice(name.length + 1);
  };
  return {
    proc,
    url: value("SUPABASE_URL"),
    anonKey: value("SUPABASE_ANON_KEY"),
    serviceRoleKey: value("SUPABASE_SERVICE_ROLE_KEY"),
    async stop(signal = "SIGTERM") {
      proc.kill(signal);
      return proc.exited;
    },
  };
}

/** supabase-js exactly as an application creates it (plus ws: Node 20 has no global WebSocket). */
export function clientOf(served: Served, key = served.anonKey): SupabaseClient {
  return createClient(served.url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  });
}

export async function signedUpClient(
  served: Served,
): Promise<{ c: SupabaseClient; id: string; email: string; password: string }> {
  const c = clientOf(served);
  const email = `u-${randomUUID().slice(0, 12)}@example.test`;
  const password = `pw-${randomBytes(9).toString("base64url")}`;
  const { data, error } = await c.auth.signUp({ email, password });
  if (error !== null || data.user === null) throw new Error(`sign-up failed: ${error?.message}`);
  return { c, id: data.user.id, email, password };
}
