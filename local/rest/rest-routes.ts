import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { Db } from "../../shared/platform/db.ts";
import { kongKeyAuth } from "../kong-key-auth.ts";
import { checkProfile, negotiate, parseJsonBody } from "./media.ts";
import { mutateRelation } from "./mutate-handler.ts";
import { fromPostgres, notImplemented, PgrstError } from "./pgrst-error.ts";
import { parsePreferences } from "./preferences.ts";
import { readRelation } from "./read-handler.ts";
import { parseRequestQuery } from "./request-query.ts";
import { identify, type BearerVerifier, type Identity } from "./request-role.ts";
import type { RestRequest, RestResponse } from "./rest-context.ts";
import { callRoutine } from "./rpc-handler.ts";
import { createSchemaCatalog, type SchemaCatalog } from "./schema-catalog.ts";

/**
 * The local PostgREST stand-in at /rest/v1: the part of PostgREST's API that postgrest-js (supabase-js
 * 2.119) uses on our tables (reference/supabase-protocols.md 5), behind Kong's key check.
 *
 * Served:
 * - GET/HEAD on tables and views of schema `public`: `select=` with `*`, columns, `alias:col`, `col::type`
 *   (a fixed list of types); filters eq neq gt gte lt lte like ilike match imatch in is isdistinct
 *   cs cd ov sl sr nxr nxl adj fts plfts phfts wfts, `not.`, `(any)`/`(all)` quantifiers, `or=`/`and=`
 *   trees; `order=col.asc|desc.nullsfirst|nullslast`; `limit`, `offset`, `Range`; `Prefer: count=…`
 *   (always an exact count) with Content-Range and 206/416; `Accept: application/vnd.pgrst.object+json`.
 * - POST (insert, arrays, `columns=`, upsert with `resolution=merge-duplicates|ignore-duplicates` and
 *   `on_conflict=`, `missing=default`), PATCH and DELETE with filters; `Prefer: return=representation|
 *   minimal` and `select=` on the returned rows.
 * - POST and GET/HEAD /rpc/<fn> with named arguments; scalar, set, composite and void results.
 * - Every request is one transaction as the caller's role (READ ONLY for reads) with request.jwt.claims
 *   set; errors are PostgREST's `{code, details, hint, message}` with its status mapping.
 *
 * Refused, with PostgREST's code for it: embedded resources and spreads (PGRST200), aggregates (PGRST123),
 * JSON paths `->`/`->>`, limit on PATCH/DELETE, PUT (PGRST127), media types other than JSON (PGRST107),
 * schemas other than public (PGRST106), dotted filters/orders (PGRST108), the root OpenAPI document.
 * Limits (options, defaults): body 1 MiB (413, connection closed), query string 8 KiB (414), max-rows 1000
 * on every read, JSON bodies nested at most 64 deep, statement_timeout 8 s; or/and nesting (8), in-lists
 * (1000) and conditions (200) are capped by the grammar. Not done: request.headers/method/path GUCs,
 * db-pre-request, response.headers/status GUCs, Prefer tx=rollback (ignored), planned/estimated counts
 * (answered exactly), Location headers.
 */
export interface RestRoutesOptions {
  db: Db;
  /** A bearer's claims: a user's access token or one of the project's API keys (local/platform-bearer.ts). */
  verify: BearerVerifier;
  anonKey: string;
  serviceRoleKey: string;
  /** db-max-rows; Supabase's default is 1000. */
  maxRows?: number;
  maxBodyBytes?: number;
  maxQueryLength?: number;
  statementTimeoutMs?: number;
  maxJsonDepth?: number;
  catalog?: SchemaCatalog;
}

type Env = { Variables: { apiKeyRole: "anon" | "service_role"; identity?: Identity } };

export function restRoutes(options: RestRoutesOptions): Hono {
  const {
    db,
    verify,
    maxRows = 1000,
    maxBodyBytes = 1024 * 1024,
    // Below Node's own 16 KiB header cap (431), so the answer is ours.
    maxQueryLength = 8 * 1024,
    statementTimeoutMs = 8000,
    maxJsonDepth = 64,
  } = options;
  const catalog = options.catalog ?? createSchemaCatalog(db);
  const app = new Hono<Env>().basePath("/rest/v1");

  app.onError((error, c) => {
    const identity = c.get("identity");
    const mapped =
      error instanceof PgrstError
        ? error
        : fromPostgres(error, identity !== undefined && identity.role !== "anon");
    if (mapped !== null) return answerError(mapped);
    console.error("local rest: unexpected failure", error);
    return answerError(new PgrstError(500, "PGRSTX00", "Internal server error"));
  });

  app.use(
    "*",
    cors({
      origin: "*",
      exposeHeaders: ["content-range", "content-profile", "preference-applied", "range-unit"],
    }),
  );
  app.use("*", kongKeyAuth({ anonKey: options.anonKey, serviceRoleKey: options.serviceRoleKey }));
  app.use("*", async (c, next) => {
    const url = c.req.url;
    const query = url.includes("?") ? url.slice(url.indexOf("?") + 1) : "";
    if (query.length > maxQueryLength)
      throw new PgrstError(
        414,
        "PGRST100",
        "URI Too Long",
        `The query string is longer than ${maxQueryLength} characters.`,
      );
    await next();
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () =>
        answerError(
          new PgrstError(
            413,
            "PGRST102",
            "Payload Too Large",
            `The request body is larger than ${maxBodyBytes} bytes.`,
            null,
            // The rest of the body is never read: the connection cannot carry another request.
            { connection: "close" },
          ),
        ),
    }),
  );

  const handle = (kind: "relation" | "rpc") => async (c: Context<Env>) => {
    const name = c.req.param("name") ?? "";
    const method = c.req.method.toUpperCase();
    if (kind === "rpc" && method !== "GET" && method !== "HEAD" && method !== "POST")
      throw new PgrstError(405, "PGRST101", `Cannot use the ${method} method on RPC`);
    if (method === "PUT")
      throw notImplemented("PUT (single-row upsert) is not served by the local REST stand-in");
    if (!["GET", "HEAD", "POST", "PATCH", "DELETE"].includes(method))
      throw new PgrstError(405, "PGRST117", `Unsupported HTTP method: ${method}`);
    const write = method !== "GET" && method !== "HEAD";
    const profiled = checkProfile(c.req.header(write ? "content-profile" : "accept-profile"));
    const media = negotiate(c.req.header("accept"));
    const prefs = parsePreferences(c.req.header("prefer"));
    const params = new URL(c.req.url).searchParams;
    const query = parseRequestQuery(params, name, kind === "rpc" && !write);
    let body: unknown;
    if (write && method !== "DELETE") {
      const text = await c.req.text();
      body = kind === "rpc" && text === "" ? {} : parseJsonBody(c.req.header("content-type"), text);
      checkDepth(body, maxJsonDepth);
    }
    const identity = await identify(c.req.header("authorization"), c.get("apiKeyRole"), verify);
    c.set("identity", identity);
    const req: RestRequest = {
      db,
      catalog,
      identity,
      method: method as RestRequest["method"],
      query,
      prefs,
      media,
      rangeHeader: method === "GET" || method === "HEAD" ? c.req.header("range") : undefined,
      body,
      maxRows,
      statementTimeoutMs,
    };
    const res =
      kind === "rpc"
        ? await callRoutine(req, name)
        : write
          ? await mutateRelation(req, name)
          : await readRelation(req, name);
    if (profiled && res.headers["content-type"] !== undefined) res.headers["content-profile"] = "public";
    return answer(res);
  };

  app.all("/rpc/:name", handle("rpc"));
  app.all("/:name", handle("relation"));
  app.all("/", () => {
    throw new PgrstError(404, "PGRST126", "Root endpoint metadata is disabled");
  });
  const invalidPath = () =>
    answerError(new PgrstError(404, "PGRST125", "Invalid path specified in request URL"));
  app.all("*", invalidPath);
  // A plain Hono outside, so it mounts with app.route("/", …) next to the other stand-ins.
  return new Hono().route("/", app);
}

function answer(res: RestResponse): Response {
  return new Response(res.body, { status: res.status, headers: res.headers });
}

function answerError(error: PgrstError): Response {
  return new Response(JSON.stringify(error.body()), {
    status: error.status,
    headers: { "content-type": "application/json; charset=utf-8", ...error.headers },
  });
}

/** Deeper JSON than this is refused here: PostgreSQL's own parser would stop with a stack-depth error. */
function checkDepth(value: unknown, max: number): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth >= max)
      throw new PgrstError(
        400,
        "PGRST102",
        "Empty or invalid json",
        `JSON nested deeper than ${max} levels.`,
      );
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
}
