// The Edge Function `api`: Supabase serves it at /functions/v1/api/..., and the function sees /api/...
// Everything lives in functions/ (runtime-neutral); this file only reads the environment and serves.
import { createApp } from "../../../functions/app.ts";
import { loadApiConfig } from "../../../functions/config.ts";
import { createSupabaseDeps } from "../../../functions/production-deps.ts";

declare const EdgeRuntime: { waitUntil(work: Promise<unknown>): void } | undefined;

const config = loadApiConfig(Deno.env.toObject());
const app = createApp(
  createSupabaseDeps(config, {
    // Keep the isolate alive until the request-log batch is written (the Edge runtime's waitUntil).
    schedule: typeof EdgeRuntime === "undefined" ? undefined : (work) => EdgeRuntime?.waitUntil(work),
  }),
);

// On Supabase: Deno.serve(app.fetch), as the Edge runtime expects. Locally (`deno run`, the Deno test)
// PORT picks a loopback port.
const port = Deno.env.get("PORT");
if (port === undefined) Deno.serve(app.fetch);
else Deno.serve({ port: Number(port), hostname: "127.0.0.1" }, app.fetch);
