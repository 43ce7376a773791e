import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { WebSocket } from "ws";
import { platformBearerVerifier } from "../../local/platform-bearer.ts";
import { restRoutes, type RestRoutesOptions } from "../../local/rest/rest-routes.ts";
import type { Db } from "../../shared/platform/db.ts";
import { createJwtVerifier } from "../../shared/platform/jwt.ts";
import { mintAccessToken, mintApiKey } from "../../shared/platform/jwt-mint.ts";
import type { TestUser } from "../db/fixtures.ts";

/**
 * The local REST stand-in served over a real socket on 127.0.0.1:0, with the platform's bearer rules
 * (user access tokens and the project's API keys, HS256 with a secret of this server's own), and
 * supabase-js clients for it as anon, a user, or the service role.
 */
export interface LocalRestServer {
  url: string;
  secret: string;
  anonKey: string;
  serviceRoleKey: string;
  /** A client as anon (no session), or as the user with a fresh access token. */
  client(user?: TestUser): Promise<SupabaseClient>;
  serviceClient(): SupabaseClient;
  tokenFor(user: TestUser, options?: { expiresIn?: number; now?: Date }): Promise<string>;
  close(): Promise<void>;
}

export async function startLocalRestServer(
  db: Db,
  options: Partial<Omit<RestRoutesOptions, "db" | "verify" | "anonKey" | "serviceRoleKey">> = {},
): Promise<LocalRestServer> {
  const secret = `rest-test-${randomBytes(24).toString("hex")}`;
  const anonKey = await mintApiKey(secret, "anon");
  const serviceRoleKey = await mintApiKey(secret, "service_role");
  const app = restRoutes({
    db,
    verify: platformBearerVerifier(secret, createJwtVerifier({ secret })),
    anonKey,
    serviceRoleKey,
    ...options,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const make = (key: string, bearer?: string): SupabaseClient =>
    createClient(url, key, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      realtime: { transport: WebSocket as never },
      global: bearer === undefined ? {} : { headers: { Authorization: `Bearer ${bearer}` } },
    });
  const tokenFor = (user: TestUser, o: { expiresIn?: number; now?: Date } = {}) =>
    mintAccessToken(
      secret,
      { sub: user.id, email: user.email, app_metadata: user.claims.app_metadata ?? { provider: "email" } },
      o,
    );
  return {
    url,
    secret,
    anonKey,
    serviceRoleKey,
    client: async (user) => (user === undefined ? make(anonKey) : make(anonKey, await tokenFor(user))),
    serviceClient: () => make(serviceRoleKey),
    tokenFor,
    close: () =>
      new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
