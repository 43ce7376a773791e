/** What `GET /` on `synth serve` says: what is served, and how to connect a client to it. */
export function homePage(options: {
  url: string;
  anonKey: string;
  database: string;
  runners: number;
}): string {
  const { url } = options;
  return [
    "synth: the local platform (Supabase-shaped)",
    "",
    `database:  ${options.database}`,
    `runners:   ${options.runners} in this process`,
    "",
    "Served on this port:",
    `  ${url}/auth/v1              Auth (GoTrue): sign up, password and refresh-token grants, user, logout, admin/users`,
    `  ${url}/storage/v1           Storage: private buckets datasets, synthetic, reports, models; signed URLs`,
    `  ${url}/rest/v1              PostgREST subset: select, filters, order, range, count, insert/update/upsert/delete, rpc`,
    `  ${url}/realtime/v1/websocket  Realtime: postgres_changes (RLS applies), Phoenix protocol 2.0.0`,
    `  ${url}/functions/v1/api     the synth API (Edge Function); docs at /functions/v1/api/docs`,
    `  ${url}/health               this server's health`,
    "",
    "Connect with @supabase/supabase-js exactly as to a hosted project:",
    "",
    `  import { createClient } from "@supabase/supabase-js";`,
    `  const supabase = createClient("${url}", "${options.anonKey}");`,
    "",
    "(on Node 20 add { realtime: { transport: WebSocket } } with WebSocket from the ws package)",
    "",
  ].join("\n");
}
