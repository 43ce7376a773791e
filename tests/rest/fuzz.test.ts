import { randomUUID } from "node:crypto";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDataset, createUser, openDb, type DbFixture, type TestUser } from "../db/fixtures.ts";
import { startLocalRestServer, type LocalRestServer } from "./local-rest-server.ts";

/**
 * A seeded fuzzer against the local REST stand-in: hostile table and column names, operators, values,
 * headers and bodies (SQL injection in identifiers and values, quotes, comments, `;`, unicode, NUL, huge
 * and deeply nested inputs, bad JSON). Every request must be answered, and without a 5xx; those that are
 * invalid by construction must be a 4xx. Afterwards the fuzz users' rows, the platform settings and the
 * catalog (tables, functions, policies, grants, roles) are exactly as before.
 */

// REST_FUZZ_SEED replays another sequence; CI runs the fixed one.
const SEED = Number(process.env.REST_FUZZ_SEED ?? 0x5eed_2026);
const CASES = 600;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INJECTIONS = [
  "'; drop table public.datasets; --",
  '"; drop table public.profiles; --',
  "1; delete from public.datasets",
  "1) or (1=1",
  "x' or '1'='1",
  "/* comment */ id",
  "id -- comment",
  "id;select pg_sleep(30)",
  "pg_sleep(30)",
  "(select 1)",
  "*,(select password from pg_shadow)",
  "id::text);drop table x;--",
  "\u0000",
  "é\u202e\ud83d\ude00",
  '\\"',
  "%00",
  "$$; drop table x; $$",
  "public.datasets",
  "pg_catalog.pg_roles",
  "../../etc/passwd",
  "",
  " ",
  "a".repeat(300),
];
const TABLES = [
  "datasets",
  "profiles",
  "notifications",
  "generation_requests",
  "platform_settings",
  "admin_queue",
];
const COLUMNS = ["id", "name", "owner_id", "description", "status", "size_bytes", "user_id", "title"];
// Operators that can never match a dataset named 'people' with these values (neq, gt or match on '' would:
// a request that is valid and matches rows is no attack, and would change the rows this test guards).
const OPERATORS = ["eq", "like", "ilike", "in", "is", "cs", "fts"];

type Case = {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Invalid by construction: must be refused with a 4xx. */
  invalid: boolean;
};

let fx: DbFixture;
let server: LocalRestServer;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  fx = openDb();
  server = await startLocalRestServer(fx.db);
  alice = await createUser(fx.su);
  bob = await createUser(fx.su);
  const dataset = await createDataset(fx.su, alice.id);
  await fx.su`insert into public.generation_requests (owner_id, dataset_id, model_type, sample_size)
              values (${alice.id}, ${dataset}, 'ctgan', 10)`;
  await fx.su`insert into public.notifications (user_id, kind, title) values (${alice.id}, 'system', 'hi')`;
});
afterAll(async () => {
  await server?.close();
  await fx?.close();
});

/** Everything a successful attack would change, as one string. */
async function snapshot(): Promise<string> {
  const ids = [alice.id, bob.id];
  const rows = await fx.su<{ part: string; digest: string | null }[]>`
    select 'datasets' as part, md5(string_agg(t::text, '|' order by t.id)) as digest from public.datasets t where owner_id = any(${ids}::uuid[])
    union all select 'generations', md5(string_agg(t::text, '|' order by t.id)) from public.generation_requests t where owner_id = any(${ids}::uuid[])
    union all select 'notifications', md5(string_agg(t::text, '|' order by t.id)) from public.notifications t where user_id = any(${ids}::uuid[])
    union all select 'profiles', md5(string_agg(t::text, '|' order by t.id)) from public.profiles t where id = any(${ids}::uuid[])
    union all select 'users', md5(string_agg(t.id::text || t.email, '|' order by t.id)) from auth.users t where id = any(${ids}::uuid[])
    union all select 'settings', md5(string_agg(t::text, '|' order by t.key)) from public.platform_settings t
    union all select 'relations', md5(string_agg(c.relname::text || c.relkind::text || coalesce(c.relacl::text, '') || c.relrowsecurity::text, '|' order by c.relname))
      from pg_class c where c.relnamespace in ('public'::regnamespace, 'auth'::regnamespace, 'storage'::regnamespace)
    union all select 'functions', md5(string_agg(p.proname::text || coalesce(p.proacl::text, '') || md5(p.prosrc), '|' order by p.proname, p.oid))
      from pg_proc p where p.pronamespace = 'public'::regnamespace
    union all select 'policies', md5(string_agg(p.polname::text || coalesce(pg_get_expr(p.polqual, p.polrelid), ''), '|' order by p.polname))
      from pg_policy p
    union all select 'roles', md5(string_agg(r.rolname::text || r.rolsuper::text || r.rolbypassrls::text, '|' order by r.rolname)) from pg_roles r`;
  return rows.map((r) => `${r.part}=${r.digest}`).join("\n");
}

function generate(rand: () => number, tokens: { alice: string; bob: string }): Case[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const enc = encodeURIComponent;
  const cases: Case[] = [];
  const auth = (): Record<string, string> => {
    const who = pick(["alice", "bob", "anon", "service"] as const);
    const bearer =
      who === "alice"
        ? tokens.alice
        : who === "bob"
          ? tokens.bob
          : who === "service"
            ? server.serviceRoleKey
            : server.anonKey;
    return { apikey: server.anonKey, authorization: `Bearer ${bearer}` };
  };
  const json = { "content-type": "application/json" };
  const jsonCase = (
    method: string,
    path: string,
    body: string,
    invalid: boolean,
    headers: Record<string, string> = {},
  ): Case => ({ method, path, headers: { ...auth(), ...json, ...headers }, body, invalid });
  const generators: (() => Case)[] = [
    // Hostile table names.
    () => jsonCase(pick(["GET", "POST", "PATCH", "DELETE"]), `/rest/v1/${enc(pick(INJECTIONS))}`, "{}", true),
    // Hostile names in select=.
    () => ({
      method: "GET",
      path: `/rest/v1/${pick(TABLES)}?select=${enc(pick(INJECTIONS.filter((x) => x !== "")))}`,
      headers: auth(),
      invalid: true,
    }),
    () => ({
      method: "GET",
      path: `/rest/v1/${pick(TABLES)}?select=${enc(`${pick(COLUMNS)}::${pick(INJECTIONS)}`)}`,
      headers: auth(),
      invalid: true,
    }),
    // Hostile filter keys and operators.
    () => ({
      method: pick(["GET", "DELETE"]),
      path: `/rest/v1/${pick(TABLES)}?${enc(pick(INJECTIONS))}=eq.1`,
      headers: auth(),
      invalid: true,
    }),
    () => ({
      method: "GET",
      path: `/rest/v1/${pick(TABLES)}?id=${enc(`${pick(INJECTIONS)}.1`)}`,
      headers: auth(),
      invalid: true,
    }),
    // Hostile values on uuid columns: never valid uuids.
    () =>
      jsonCase(
        pick(["GET", "PATCH", "DELETE"]),
        `/rest/v1/datasets?id=${pick(["eq", "neq", "gt", "not.eq"])}.${enc(pick(INJECTIONS) + "x")}`,
        JSON.stringify({ description: "pwned" }),
        true,
      ),
    // Hostile values on text columns: may be answered (no row has such a name), must change nothing.
    () =>
      jsonCase(
        pick(["GET", "PATCH", "DELETE", "HEAD"]),
        `/rest/v1/datasets?name=${pick(OPERATORS)}.${enc(pick(INJECTIONS))}`,
        JSON.stringify({ description: "pwned" }),
        false,
      ),
    // Orders, or-trees, deep nesting.
    () => ({
      method: "GET",
      path: `/rest/v1/${pick(TABLES)}?order=${enc(pick(INJECTIONS))}`,
      headers: auth(),
      invalid: true,
    }),
    () => ({
      method: "GET",
      path: `/rest/v1/datasets?or=${enc(`(name.eq.a,${pick(INJECTIONS)})`)}`,
      headers: auth(),
      invalid: true,
    }),
    () => {
      const depth = 20 + Math.floor(rand() * 200);
      return {
        method: "GET",
        path: `/rest/v1/datasets?or=${enc(`(${"and(".repeat(depth)}name.eq.a${")".repeat(depth)})`)}`,
        headers: auth(),
        invalid: true,
      };
    },
    () => ({
      method: "GET",
      path: `/rest/v1/datasets?name=in.${enc(`(${Array.from({ length: 1500 }, (_, i) => `v${i}`).join(",")})`)}`,
      headers: auth(),
      invalid: true,
    }),
    // Query strings longer than the cap.
    () => ({
      method: "GET",
      path: `/rest/v1/datasets?name=eq.${"x".repeat(20_000)}`,
      headers: auth(),
      invalid: true,
    }),
    // Hostile on_conflict and columns.
    () =>
      jsonCase(
        "POST",
        `/rest/v1/datasets?${pick(["on_conflict", "columns"])}=${enc(pick(INJECTIONS))}`,
        JSON.stringify({ name: "n" }),
        true,
        { prefer: "resolution=merge-duplicates" },
      ),
    // Headers.
    () => ({
      method: "GET",
      path: "/rest/v1/datasets",
      headers: {
        ...auth(),
        "accept-profile": pick(
          INJECTIONS.filter((s) => s !== "" && !s.includes("\u0000") && !/[^\x20-\x7e]/.test(s)),
        ),
      },
      invalid: true,
    }),
    () => ({
      method: "GET",
      path: "/rest/v1/datasets",
      headers: {
        ...auth(),
        accept: pick(["text/csv", "application/xml", "image/png;q=1", "application/geo+json"]),
      },
      invalid: true,
    }),
    () => ({
      method: "GET",
      path: `/rest/v1/datasets?limit=${pick(["-1", "-99"])}`,
      headers: auth(),
      invalid: true,
    }),
    () => ({
      method: "GET",
      path: "/rest/v1/datasets",
      headers: { ...auth(), range: pick(["5-2", "9-0"]) },
      invalid: true,
    }),
    () => ({
      method: "GET",
      path: "/rest/v1/datasets",
      headers: { ...auth(), prefer: `handling=strict, ${pick(["count=lots", "return=everything", "x"])}` },
      invalid: true,
    }),
    () => ({
      method: "GET",
      path: "/rest/v1/datasets",
      headers: {
        apikey: server.anonKey,
        authorization: `Bearer ${pick(["x.y.z", "a", "eyJhbGciOiJub25lIn0.e30.", `${tokens.alice}x`, "'; drop table x; --"])}`,
      },
      invalid: true,
    }),
    () => ({
      method: "GET",
      path: "/rest/v1/datasets",
      headers: { apikey: pick(["", "x", `${server.anonKey}x`]) },
      invalid: true,
    }),
    // Bodies.
    () =>
      jsonCase(
        pick(["POST", "PATCH"]),
        "/rest/v1/datasets?name=eq.x",
        pick(["{", "[1,", "nul", "{'a':1}", "\u0000", '{"a":1}}', "NaN"]),
        true,
      ),
    () => jsonCase("POST", "/rest/v1/datasets", "[".repeat(5000) + "]".repeat(5000), true),
    () =>
      jsonCase(
        "POST",
        "/rest/v1/notifications",
        JSON.stringify({ data: JSON.parse("[".repeat(200) + "]".repeat(200)) }),
        true,
      ),
    () => jsonCase("POST", "/rest/v1/datasets", JSON.stringify({ name: "x".repeat(2 * 1024 * 1024) }), true),
    () =>
      jsonCase(
        pick(["POST", "PATCH"]),
        "/rest/v1/datasets?id=eq.00000000-0000-0000-0000-000000000000",
        JSON.stringify({ [pick(INJECTIONS)]: "v" }),
        true,
      ),
    () =>
      jsonCase(
        "POST",
        "/rest/v1/datasets",
        JSON.stringify([{ name: "a" }, { name: "b", format: "csv" }]),
        true,
      ),
    // Valid shape, invalid content: a format the check constraint refuses (or no privilege at all).
    () =>
      jsonCase(
        "POST",
        "/rest/v1/datasets",
        JSON.stringify({
          name: pick(INJECTIONS.filter((s) => !s.includes("\u0000"))),
          storage_path: `${alice.id}/${randomUUID()}.csv`,
          format: pick(INJECTIONS) + "!",
        }),
        true,
        { prefer: "return=representation" },
      ),
    () =>
      jsonCase(
        "PATCH",
        `/rest/v1/datasets?owner_id=eq.${alice.id}`,
        JSON.stringify({ status: pick(INJECTIONS) }),
        true,
      ),
    // RPC.
    () => jsonCase(pick(["GET", "POST"]), `/rest/v1/rpc/${enc(pick(INJECTIONS))}`, "{}", true),
    () =>
      jsonCase("POST", "/rest/v1/rpc/is_safe_object_path", JSON.stringify({ [pick(INJECTIONS)]: "x" }), true),
    () =>
      jsonCase(
        "POST",
        "/rest/v1/rpc/is_safe_object_path",
        JSON.stringify({ path: pick(INJECTIONS.filter((s) => !s.includes("\u0000"))) }),
        false,
      ),
    () => ({
      method: "GET",
      path: `/rest/v1/rpc/usage_by_day?since=${enc(pick(INJECTIONS) + "x")}`,
      headers: auth(),
      invalid: true,
    }),
    () => jsonCase(pick(["PATCH", "DELETE", "PUT"]), "/rest/v1/rpc/is_admin", "{}", true),
    () => ({
      method: "POST",
      path: "/rest/v1/rpc/reclaim_expired_leases",
      headers: { apikey: server.anonKey, authorization: `Bearer ${tokens.alice}`, ...json },
      body: "{}",
      invalid: true,
    }),
  ];
  for (let i = 0; i < CASES; i++) cases.push(pick(generators)());
  return cases;
}

/**
 * One request over node:http: a server that refuses a body early (413) closes the socket while the body is
 * still being written, which fetch reports as a failure even though the answer arrived.
 */
function send(c: Case): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${server.url}${c.path}`);
    let answered = false;
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: c.method,
        headers: c.headers,
        timeout: 20_000,
        // A fresh connection each time: one the server gave up on (413) must not be reused.
        agent: false,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer in time: ${c.method} ${c.path.slice(0, 200)}`)));
    req.on("error", (error) => {
      if (!answered)
        reject(
          new Error(
            `${error.message}: ${c.method} ${c.path.slice(0, 120)} body ${c.body?.length ?? 0} bytes`,
          ),
        );
    });
    if (c.body !== undefined && c.method !== "GET" && c.method !== "HEAD") req.end(c.body);
    else req.end();
  });
}

describe("fuzzing the REST stand-in", () => {
  it(`answers ${CASES} seeded hostile requests without a 5xx and leaves the database as it was`, async () => {
    const before = await snapshot();
    const tokens = { alice: await server.tokenFor(alice), bob: await server.tokenFor(bob) };
    const cases = generate(mulberry32(SEED), tokens);
    const failures: string[] = [];
    for (const c of cases) {
      const res = await send(c);
      const text = res.text;
      const bad = res.status >= 500 || (c.invalid && (res.status < 400 || res.status >= 500));
      if (bad) failures.push(`${res.status} ${c.method} ${c.path.slice(0, 200)} ${text.slice(0, 200)}`);
      if (
        res.status >= 400 &&
        res.status !== 413 &&
        c.method !== "HEAD" &&
        res.contentType.includes("json")
      ) {
        const body = JSON.parse(text) as Record<string, unknown>;
        if (!("message" in body))
          failures.push(`no message: ${c.method} ${c.path.slice(0, 200)} ${text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toBe(before);
  });
});
