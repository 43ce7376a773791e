import { randomUUID } from "node:crypto";
import type { SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDataset, createUser, openDb, type DbFixture, type TestUser } from "../db/fixtures.ts";
import { startLocalRestServer, type LocalRestServer } from "./local-rest-server.ts";

/**
 * The local PostgREST stand-in driven by the unmodified supabase-js client (reference/supabase-protocols.md
 * 5) over a real socket, on the real tables, as two users, anon and the service role. Row-level security
 * decides what each sees and changes; effects are checked in the rows themselves, not only in the answers.
 */

let fx: DbFixture;
let server: LocalRestServer;
let alice: TestUser;
let bob: TestUser;
let asAlice: SupabaseClient;
let asBob: SupabaseClient;
let asAnon: SupabaseClient;
const NAMES = ["alpha", "beta", "gamma", "delta", "epsilon"];
const SIZES = [10, 20, 30, 40, null];

beforeAll(async () => {
  fx = openDb();
  server = await startLocalRestServer(fx.db, { maxRows: 50 });
  alice = await createUser(fx.su);
  bob = await createUser(fx.su);
  asAlice = await server.client(alice);
  asBob = await server.client(bob);
  asAnon = await server.client();
  for (const [i, name] of NAMES.entries()) {
    await fx.su`insert into public.datasets (owner_id, name, description, storage_path, format, status, size_bytes)
      values (${alice.id}, ${name}, ${i % 2 === 0 ? `about ${name}` : null}, ${`${alice.id}/${randomUUID()}.csv`},
              'csv', 'ready', ${SIZES[i]})`;
  }
});
afterAll(async () => {
  await server?.close();
  await fx?.close();
});

const mine = (c: SupabaseClient, owner: TestUser) =>
  c.from("datasets").select("name, size_bytes, description").eq("owner_id", owner.id);

describe("reads", () => {
  it("select with columns, renames and casts, as the owner", async () => {
    const { data, error, status } = await asAlice
      .from("profiles")
      .select("id, name:display_name, made:created_at::text")
      .eq("id", alice.id);
    expect(error).toBeNull();
    expect(status).toBe(200);
    expect(data).toEqual([{ id: alice.id, name: expect.any(String), made: expect.any(String) }]);
  });

  it("row-level security: bob sees none of alice's rows, anon may not read the table at all", async () => {
    const { data } = await asBob.from("datasets").select("*").eq("owner_id", alice.id);
    expect(data).toEqual([]);
    const { data: profiles } = await asBob.from("profiles").select("id");
    expect(profiles).toEqual([{ id: bob.id }]);
    const { error, status } = await asAnon.from("datasets").select("*");
    expect(status).toBe(401);
    expect(error).toMatchObject({ code: "42501", message: "permission denied for table datasets" });
  });

  it("filters eq neq gt in is like ilike not, and or trees", async () => {
    const names = async (q: PromiseLike<{ data: { name: string }[] | null }>) =>
      ((await q).data ?? []).map((r) => r.name).sort();
    expect(await names(mine(asAlice, alice).eq("name", "beta"))).toEqual(["beta"]);
    expect(await names(mine(asAlice, alice).neq("name", "beta"))).toEqual([
      "alpha",
      "delta",
      "epsilon",
      "gamma",
    ]);
    expect(await names(mine(asAlice, alice).gt("size_bytes", 20))).toEqual(["delta", "gamma"]);
    expect(await names(mine(asAlice, alice).in("name", ["alpha", "gamma", "nope,(x)"]))).toEqual([
      "alpha",
      "gamma",
    ]);
    expect(await names(mine(asAlice, alice).is("size_bytes", null))).toEqual(["epsilon"]);
    expect(await names(mine(asAlice, alice).like("name", "%ta"))).toEqual(["beta", "delta"]);
    expect(await names(mine(asAlice, alice).ilike("name", "%PSI%"))).toEqual(["epsilon"]);
    expect(await names(mine(asAlice, alice).not("description", "is", null))).toEqual([
      "alpha",
      "epsilon",
      "gamma",
    ]);
    expect(await names(mine(asAlice, alice).or("name.eq.alpha,size_bytes.gte.40"))).toEqual([
      "alpha",
      "delta",
    ]);
    expect(
      await names(mine(asAlice, alice).or("and(size_bytes.gt.10,size_bytes.lt.40),name.eq.epsilon")),
    ).toEqual(["beta", "epsilon", "gamma"]);
  });

  it("order with nulls, limit, range, count exact and 206", async () => {
    const ordered = await mine(asAlice, alice).order("size_bytes", { ascending: false, nullsFirst: true });
    expect(ordered.data!.map((r) => r.name)).toEqual(["epsilon", "delta", "gamma", "beta", "alpha"]);
    const limited = await mine(asAlice, alice).order("name").limit(2);
    expect(limited.data!.map((r) => r.name)).toEqual(["alpha", "beta"]);
    const page = await asAlice
      .from("datasets")
      .select("name", { count: "exact" })
      .eq("owner_id", alice.id)
      .order("name")
      .range(1, 2);
    expect(page.status).toBe(206);
    expect(page.count).toBe(5);
    expect(page.data!.map((r) => r.name)).toEqual(["beta", "delta"]);
    const all = await asAlice.from("datasets").select("name", { count: "exact" }).eq("owner_id", alice.id);
    expect(all.status).toBe(200);
    expect(all.count).toBe(5);
    const none = await asBob.from("datasets").select("name", { count: "exact" }).eq("owner_id", alice.id);
    expect(none).toMatchObject({ status: 200, count: 0, data: [] });
  });

  it("head: true answers the count without rows", async () => {
    const { data, count, status, error } = await asAlice
      .from("datasets")
      .select("*", { count: "exact", head: true })
      .eq("owner_id", alice.id)
      .gte("size_bytes", 20);
    expect(error).toBeNull();
    expect(status).toBe(200);
    expect(count).toBe(3);
    expect(data).toBeNull();
  });

  it("max-rows caps a read without a limit", async () => {
    const capped = await startLocalRestServer(fx.db, { maxRows: 2 });
    try {
      const c = await capped.client(alice);
      const { data, count, status } = await c
        .from("datasets")
        .select("name", { count: "exact" })
        .eq("owner_id", alice.id)
        .order("name");
      expect(data!.map((r) => r.name)).toEqual(["alpha", "beta"]);
      expect(count).toBe(5);
      expect(status).toBe(206);
    } finally {
      await capped.close();
    }
  });

  it("single() and maybeSingle()", async () => {
    const one = await mine(asAlice, alice).eq("name", "gamma").single();
    expect(one.data).toEqual({ name: "gamma", size_bytes: 30, description: "about gamma" });
    const zero = await mine(asAlice, alice).eq("name", "nope").single();
    expect(zero.status).toBe(406);
    expect(zero.error).toMatchObject({ code: "PGRST116", details: "The result contains 0 rows" });
    const many = await mine(asAlice, alice).single();
    expect(many.error).toMatchObject({ code: "PGRST116", details: "The result contains 5 rows" });
    expect((await mine(asAlice, alice).eq("name", "nope").maybeSingle()).data).toBeNull();
    expect((await mine(asAlice, alice).eq("name", "beta").maybeSingle()).data).toMatchObject({
      name: "beta",
    });
  });
});

describe("protocol details", () => {
  const raw = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
    fetch(`${server.url}/rest/v1/${path}`, {
      ...init,
      headers: { apikey: server.anonKey, authorization: `Bearer ${aliceToken}`, ...headers },
    });
  let aliceToken: string;
  beforeAll(async () => {
    aliceToken = await server.tokenFor(alice);
  });

  it("not.in, is true/false, and quoted list values", async () => {
    const { data } = await mine(asAlice, alice).not("name", "in", "(alpha,beta,gamma)").order("name");
    expect(data!.map((r) => r.name)).toEqual(["delta", "epsilon"]);
    const flags = await asAlice
      .from("profiles")
      .select("id")
      .eq("id", alice.id)
      .is("notification_consent", false);
    expect(flags.data).toEqual([{ id: alice.id }]);
  });

  it("the Range header, Content-Range and 416 past the end", async () => {
    const res = await raw(`datasets?select=name&owner_id=eq.${alice.id}&order=name`, {
      range: "1-3",
      "range-unit": "items",
      prefer: "count=exact",
    });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe("1-3/5");
    expect((await res.json()).map((r: { name: string }) => r.name)).toEqual(["beta", "delta", "epsilon"]);
    const past = await raw(`datasets?select=name&owner_id=eq.${alice.id}&offset=9`, {
      prefer: "count=exact",
    });
    expect(past.status).toBe(416);
    expect(await past.json()).toMatchObject({
      code: "PGRST103",
      details: "An offset of 9 was requested, but there are only 5 rows.",
    });
    const empty = await raw(`datasets?select=name&owner_id=eq.${bob.id}`, { prefer: "count=exact" });
    expect(empty.headers.get("content-range")).toBe("*/0");
  });

  it("Accept-Profile: public is answered with Content-Profile; CSV is refused with PGRST107", async () => {
    const res = await raw(`profiles?select=id&id=eq.${alice.id}`, { "accept-profile": "public" });
    expect(res.headers.get("content-profile")).toBe("public");
    const csv = await mine(asAlice, alice).csv();
    expect(csv.status).toBe(406);
    expect(csv.error).toMatchObject({ code: "PGRST107" });
  });

  it("rpc with head: true and a count", async () => {
    const { count, data, status } = await asAlice.rpc(
      "usage_by_day",
      { since: "2026-11-01" },
      { head: true, count: "exact" },
    );
    expect(status).toBe(200);
    expect(data).toBeNull();
    expect(count).toBeGreaterThan(0);
  });

  it("defaultToNull: false inserts DEFAULT for keys a row lacks", async () => {
    const rows = [
      { name: "def-a", storage_path: `${alice.id}/${randomUUID()}.csv`, format: "csv", description: "given" },
      { name: "def-b", storage_path: `${alice.id}/${randomUUID()}.csv`, format: "csv" },
    ];
    const { error, data } = await asAlice
      .from("datasets")
      .insert(rows, { defaultToNull: false })
      .select("name, owner_id, description");
    expect(error).toBeNull();
    expect(data).toEqual([
      { name: "def-a", owner_id: alice.id, description: "given" },
      { name: "def-b", owner_id: alice.id, description: null },
    ]);
  });

  it("query strings and bodies over the caps are refused", async () => {
    const long = await raw(`datasets?name=eq.${"x".repeat(10_000)}`);
    expect(long.status).toBe(414);
    const big = await raw(
      "datasets",
      { "content-type": "application/json" },
      { method: "POST", body: JSON.stringify({ name: "x".repeat(1024 * 1024 + 10) }) },
    );
    expect(big.status).toBe(413);
  });
});

describe("writes", () => {
  it("insert().select().single() returns the row; the default owner is the caller", async () => {
    const path = `${alice.id}/${randomUUID()}.csv`;
    const { data, error, status } = await asAlice
      .from("datasets")
      .insert({ name: "fresh", storage_path: path, format: "csv" })
      .select("id, owner_id, name, status")
      .single();
    expect(error).toBeNull();
    expect(status).toBe(201);
    expect(data).toMatchObject({ owner_id: alice.id, name: "fresh", status: "uploaded" });
    const [row] = await fx.su`select owner_id from public.datasets where id = ${data!.id}`;
    expect(row.owner_id).toBe(alice.id);
  });

  it("insert of an array without select answers 201 and no body", async () => {
    const rows = ["one", "two"].map((name) => ({
      name: `batch-${name}`,
      storage_path: `${alice.id}/${randomUUID()}.csv`,
      format: "csv",
      ...(name === "two" ? { description: "second" } : {}),
    }));
    const { data, error, status } = await asAlice.from("datasets").insert(rows);
    expect(error).toBeNull();
    expect(status).toBe(201);
    expect(data).toBeNull();
    const stored = await fx.su`select name, description from public.datasets
      where owner_id = ${alice.id} and name like 'batch-%' order by name`;
    expect(stored).toEqual([
      { name: "batch-one", description: null },
      { name: "batch-two", description: "second" },
    ]);
  });

  it("a user cannot insert rows for someone else (RLS) nor columns the role may not write", async () => {
    const other = await asBob.from("datasets").insert({
      owner_id: alice.id,
      name: "sneaky",
      storage_path: `${alice.id}/${randomUUID()}.csv`,
      format: "csv",
    });
    expect(other.status).toBe(403);
    expect(other.error).toMatchObject({ code: "42501" });
    const status = await asAlice.from("datasets").insert({
      name: "forged",
      storage_path: `${alice.id}/${randomUUID()}.csv`,
      format: "csv",
      status: "ready",
    });
    expect(status.error).toMatchObject({ code: "42501", message: "permission denied for table datasets" });
    const [{ n }] =
      await fx.su`select count(*)::int as n from public.datasets where name in ('sneaky', 'forged')`;
    expect(n).toBe(0);
  });

  it("update with filters: the owner's change lands, bob's touches nothing", async () => {
    const byBob = await asBob
      .from("datasets")
      .update({ description: "bob was here" })
      .eq("name", "beta")
      .select();
    expect(byBob).toMatchObject({ status: 200, data: [] });
    const byAlice = await asAlice
      .from("datasets")
      .update({ description: "edited" })
      .eq("owner_id", alice.id)
      .eq("name", "beta")
      .select("name, description");
    expect(byAlice.data).toEqual([{ name: "beta", description: "edited" }]);
    const minimal = await asAlice.from("datasets").update({ description: "again" }).eq("name", "beta");
    expect(minimal).toMatchObject({ status: 204, data: null, error: null });
    const [row] =
      await fx.su`select description from public.datasets where owner_id = ${alice.id} and name = 'beta'`;
    expect(row.description).toBe("again");
  });

  it("delete with filters: bob deletes nothing of alice's, alice deletes her own", async () => {
    const path = `${alice.id}/${randomUUID()}.csv`;
    await fx.su`insert into public.datasets (owner_id, name, storage_path, format) values (${alice.id}, 'doomed', ${path}, 'csv')`;
    const byBob = await asBob.from("datasets").delete({ count: "exact" }).eq("storage_path", path);
    expect(byBob).toMatchObject({ status: 204, count: 0 });
    const byAlice = await asAlice.from("datasets").delete().eq("storage_path", path).select("name");
    expect(byAlice.data).toEqual([{ name: "doomed" }]);
    const [{ n }] = await fx.su`select count(*)::int as n from public.datasets where storage_path = ${path}`;
    expect(n).toBe(0);
  });

  it("upsert as the service role: merge-duplicates updates, ignore-duplicates leaves the row", async () => {
    const service = server.serviceClient();
    const id = await createDataset(fx.su, bob.id);
    const [before] = await fx.su`select storage_path from public.datasets where id = ${id}`;
    const merged = await service
      .from("datasets")
      .upsert(
        { id, owner_id: bob.id, name: "merged", storage_path: before.storage_path, format: "csv" },
        { onConflict: "id" },
      )
      .select("id, name")
      .single();
    expect(merged.error).toBeNull();
    expect(merged.status).toBe(200);
    expect(merged.data).toEqual({ id, name: "merged" });
    const ignored = await service
      .from("datasets")
      .upsert(
        { id, owner_id: bob.id, name: "ignored", storage_path: before.storage_path, format: "csv" },
        { onConflict: "id", ignoreDuplicates: true },
      )
      .select("id");
    expect(ignored).toMatchObject({ status: 201, data: [] });
    const minimal = await service
      .from("datasets")
      .upsert({ id, owner_id: bob.id, name: "merged", storage_path: before.storage_path, format: "csv" });
    expect(minimal).toMatchObject({ status: 200, data: null, error: null });
    const [after] = await fx.su`select name from public.datasets where id = ${id}`;
    expect(after.name).toBe("merged");
  });

  it("an upsert whose update would set a column the user may not update is refused, even with no conflict", async () => {
    // PostgreSQL checks UPDATE privileges of `on conflict do update set …` when it plans the statement.
    const path = `${alice.id}/${randomUUID()}.csv`;
    const refused = await asAlice
      .from("datasets")
      .upsert(
        { name: "up", storage_path: path, format: "csv" },
        { onConflict: "storage_bucket,storage_path" },
      )
      .select("name")
      .single();
    expect(refused.status).toBe(403);
    expect(refused.error).toMatchObject({ code: "42501" });
    const [{ n }] = await fx.su`select count(*)::int as n from public.datasets where storage_path = ${path}`;
    expect(n).toBe(0);
  });

  it("generation requests and notifications, each user only their own", async () => {
    const dataset = await createDataset(fx.su, alice.id);
    const created = await asAlice
      .from("generation_requests")
      .insert({ dataset_id: dataset, model_type: "gaussian_copula", sample_size: 10 })
      .select("id, owner_id, status")
      .single();
    expect(created.error).toBeNull();
    expect(created.data).toMatchObject({ owner_id: alice.id, status: "queued" });
    const seen = await asBob.from("generation_requests").select("id").eq("id", created.data!.id);
    expect(seen.data).toEqual([]);

    const [note] = await fx.su`insert into public.notifications (user_id, kind, title)
      values (${alice.id}, 'system', 'hello') returning id`;
    const byBob = await asBob
      .from("notifications")
      .update({ read_at: new Date().toISOString() })
      .eq("id", note.id)
      .select();
    expect(byBob.data).toEqual([]);
    const byAlice = await asAlice
      .from("notifications")
      .update({ read_at: "2026-12-01T00:00:00Z" })
      .eq("id", note.id)
      .select("title, read_at")
      .single();
    expect(byAlice.data).toEqual({ title: "hello", read_at: "2026-12-01T00:00:00+00:00" });
  });
});

describe("rpc", () => {
  it("scalar, set and GET calls; anon may call what anon may execute", async () => {
    expect(await asAlice.rpc("is_admin")).toMatchObject({ data: false, error: null, status: 200 });
    expect((await asAnon.rpc("is_admin")).data).toBe(false);
    const get = await asAlice.rpc("is_safe_object_path", { path: "a/b.csv" }, { get: true });
    expect(get.data).toBe(true);
    const post = await asAlice.rpc("is_safe_object_path", { path: "../x" });
    expect(post.data).toBe(false);
    const days = await asAlice.rpc("usage_by_day", { since: "2026-01-01" }).order("day").limit(3);
    expect(days.error).toBeNull();
    expect(days.data).toHaveLength(3);
    expect(days.data![0]).toMatchObject({ day: "2026-01-01", requests: expect.any(Number) });
  });

  it("unknown functions and missing privileges are PostgREST's errors", async () => {
    const unknown = await asAlice.rpc("no_such_function", { a: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.error).toMatchObject({
      code: "PGRST202",
      message: "Could not find the function public.no_such_function(a) in the schema cache",
    });
    const denied = await asAlice.rpc("reclaim_expired_leases");
    expect(denied.status).toBe(403);
    expect(denied.error).toMatchObject({ code: "42501" });
    const deniedAnon = await asAnon.rpc("reclaim_expired_leases");
    expect(deniedAnon.status).toBe(401);
  });
});

describe("errors", () => {
  it("unknown table and column, bad values, duplicates, foreign keys", async () => {
    const table = await asAlice.from("no_such_table").select("*");
    expect(table.status).toBe(404);
    expect(table.error).toMatchObject({
      code: "PGRST205",
      message: "Could not find the table 'public.no_such_table' in the schema cache",
    });
    const column = await asAlice.from("datasets").select("nope");
    expect(column.status).toBe(400);
    expect(column.error).toMatchObject({ code: "42703", message: "column datasets.nope does not exist" });
    const uuid = await asAlice.from("datasets").select("id").eq("id", "not-a-uuid");
    expect(uuid.status).toBe(400);
    expect(uuid.error).toMatchObject({ code: "22P02" });
    const path = `${alice.id}/${randomUUID()}.csv`;
    await asAlice.from("datasets").insert({ name: "dup", storage_path: path, format: "csv" });
    const dup = await asAlice.from("datasets").insert({ name: "dup", storage_path: path, format: "csv" });
    expect(dup.status).toBe(409);
    expect(dup.error).toMatchObject({ code: "23505" });
    const fk = await server
      .serviceClient()
      .from("notifications")
      .insert({ user_id: randomUUID(), kind: "system", title: "orphan" });
    expect(fk.status).toBe(409);
    expect(fk.error).toMatchObject({ code: "23503" });
  });

  it("embedding is refused with PGRST200; another schema with PGRST106", async () => {
    const embed = await asAlice.from("generation_requests").select("id, datasets(name)");
    expect(embed.status).toBe(400);
    expect(embed.error).toMatchObject({
      code: "PGRST200",
      message:
        "Could not find a relationship between 'generation_requests' and 'datasets' in the schema cache",
    });
    const other = await asAlice.schema("storage").from("objects").select("*");
    expect(other.status).toBe(406);
    expect(other.error).toMatchObject({ code: "PGRST106", message: "Invalid schema: storage" });
  });

  it("Kong's key check, and bearer problems as PostgREST's JWT errors", async () => {
    const noKey = await fetch(`${server.url}/rest/v1/datasets`);
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toEqual({ message: "No API key found in request" });
    const badKey = await fetch(`${server.url}/rest/v1/datasets`, { headers: { apikey: "nope" } });
    expect(await badKey.json()).toEqual({ message: "Invalid authentication credentials" });
    const expired = await server.tokenFor(alice, { now: new Date(Date.now() - 7200_000) });
    const res = await fetch(`${server.url}/rest/v1/datasets`, {
      headers: { apikey: server.anonKey, authorization: `Bearer ${expired}` },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "PGRST303", message: "JWT expired" });
    const forged = await fetch(`${server.url}/rest/v1/datasets`, {
      headers: { apikey: server.anonKey, authorization: `Bearer ${expired.slice(0, -4)}AAAA` },
    });
    expect(await forged.json()).toMatchObject({ code: "PGRST301" });
  });

  it("the service role key as the only credential acts as service_role", async () => {
    const res = await fetch(
      `${server.url}/rest/v1/datasets?select=name&owner_id=eq.${alice.id}&name=eq.alpha`,
      {
        headers: { apikey: server.serviceRoleKey },
      },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ name: "alpha" }]);
  });
});
