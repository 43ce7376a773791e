import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import { installRealtimeCapture, REALTIME_NOTIFY_CHANNEL } from "../../local/db/realtime-capture.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindingId } from "../../local/realtime/binding.ts";
import { BROADCAST_REFUSED, PRESENCE_REFUSED } from "../../local/realtime/realtime-connection.ts";
import { createRealtimeServer } from "../../local/realtime/realtime-server.ts";
import { createRealtimeTokenVerifier } from "../../local/realtime/realtime-token.ts";
import { asServiceRole } from "../../shared/platform/db.ts";
import { mintAccessToken } from "../../shared/platform/jwt-mint.ts";
import { createDataset, createGeneration, createUser, type TestUser } from "../db/fixtures.ts";
import { WebSocket } from "ws";
import { RawSocket } from "./raw-socket.ts";
import { startRealtimeHarness, type RealtimeHarness } from "./realtime-harness.ts";

/**
 * The wire protocol frame by frame, as realtime-js 2.119 and the real server exchange them
 * (reference/supabase-protocols.md 3): a bare WebSocket, so every reply's exact shape is checked.
 */

let h: RealtimeHarness;
let user: TestUser;
let token: string;
let generationId: string;

const open = (query: Record<string, string> = {}) =>
  RawSocket.open(h.url, { apikey: h.anonKey, vsn: "2.0.0", ...query });

const setProgress = (id: string, progress: Record<string, unknown>) =>
  asServiceRole(h.db, "test: report progress", (tx) =>
    sql`update public.generation_requests set progress = ${JSON.stringify(progress)}::text::jsonb where id = ${id}`.execute(
      tx,
    ),
  );

beforeAll(async () => {
  h = await startRealtimeHarness("postgres-js");
  user = await createUser(h.su);
  token = await mintAccessToken(h.jwtSecret, { sub: user.id, email: user.email });
  generationId = await createGeneration(h.su, user.id, await createDataset(h.su, user.id));
});
afterAll(async () => {
  await h?.close();
});

describe("the upgrade", () => {
  it("needs an apikey, a valid one, and a known protocol version", async () => {
    expect(await RawSocket.refusal(h.url, { vsn: "2.0.0" })).toEqual({
      status: 401,
      body: { error: "API key is missing" },
    });
    expect(await RawSocket.refusal(h.url, { apikey: "not-a-jwt", vsn: "2.0.0" })).toEqual({
      status: 401,
      body: { error: "The token provided is not a valid JWT" },
    });
    const forged = await mintAccessToken("another-secret-of-at-least-32-characters!!", { sub: user.id });
    expect(await RawSocket.refusal(h.url, { apikey: forged, vsn: "2.0.0" })).toEqual({
      status: 401,
      body: { error: "Failed to validate JWT signature" },
    });
    const expired = await mintAccessToken(
      h.jwtSecret,
      { sub: user.id },
      { now: new Date(Date.now() - 7200_000) },
    );
    expect(await RawSocket.refusal(h.url, { apikey: expired, vsn: "2.0.0" })).toEqual({
      status: 401,
      body: { error: "Token has expired" },
    });
    expect((await RawSocket.refusal(h.url, { apikey: h.anonKey, vsn: "9.9.9" })).status).toBe(400);
  });

  it("answers heartbeats on the phoenix topic, in vsn 2.0.0 arrays and vsn 1.0.0 objects", async () => {
    const s = await open();
    s.send([null, "7", "phoenix", "heartbeat", {}]);
    expect(await s.next("phoenix", "phx_reply")).toEqual([
      null,
      "7",
      "phoenix",
      "phx_reply",
      { status: "ok", response: {} },
    ]);
    s.close();

    const v1 = await RawSocket.open(h.url, { apikey: h.anonKey, vsn: "1.0.0" });
    const reply = new Promise<unknown>((resolve) =>
      v1.ws.once("message", (data) => resolve(JSON.parse(data.toString()))),
    );
    v1.send({ topic: "phoenix", event: "heartbeat", payload: {}, ref: "1" });
    expect(await reply).toEqual({
      join_ref: null,
      ref: "1",
      topic: "phoenix",
      event: "phx_reply",
      payload: { status: "ok", response: {} },
    });
    v1.close();
  });
});

describe("join, changes and leave", () => {
  it("echoes the bindings in order with ids, says Subscribed to PostgreSQL, and sends changes as realtime-js reads them", async () => {
    const s = await open();
    const bindings = [
      { event: "UPDATE", schema: "public", table: "generation_requests", filter: `id=eq.${generationId}` },
      { event: "*", schema: "public", table: "generation_requests", filter: "sample_size=gte.100" },
      { event: "UPDATE", schema: "public", table: "generation_requests", filter: "sample_size=lt.100" },
      {
        event: "UPDATE",
        schema: "public",
        table: "generation_requests",
        filter: "status=in.(queued,running)",
      },
      {
        event: "UPDATE",
        schema: "public",
        table: "generation_requests",
        filter: `id=not.eq.${generationId}`,
      },
      { event: "INSERT", schema: "public", table: "generation_requests" },
    ];
    const join = {
      config: {
        broadcast: { ack: false, self: false },
        presence: { key: "", enabled: false },
        postgres_changes: bindings,
        private: false,
      },
      access_token: token,
    };
    s.send(["1", "1", "realtime:jobs", "phx_join", join]);
    const reply = await s.next("realtime:jobs", "phx_reply", "1");
    const ids = bindings.map((b) => bindingId(b));
    expect(reply).toEqual([
      "1",
      "1",
      "realtime:jobs",
      "phx_reply",
      { status: "ok", response: { postgres_changes: bindings.map((b, i) => ({ ...b, id: ids[i] })) } },
    ]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < 2 ** 27)).toBe(true);
    expect(await s.next("realtime:jobs", "system")).toEqual([
      "1",
      null,
      "realtime:jobs",
      "system",
      { extension: "postgres_changes", status: "ok", message: "Subscribed to PostgreSQL", channel: "jobs" },
    ]);

    await setProgress(generationId, { percent: 42 });
    const [joinRef, ref, topic, event, payload] = await s.next("realtime:jobs", "postgres_changes");
    expect([joinRef, ref, topic, event]).toEqual(["1", null, "realtime:jobs", "postgres_changes"]);
    const message = payload as { ids: number[]; data: Record<string, unknown> };
    // The key filter, gte 100 (sample_size is 100) and the in list match; lt 100, not.eq and INSERT do not.
    expect([...message.ids].sort()).toEqual([ids[0], ids[1], ids[3]].sort());
    const data = message.data as {
      columns: { name: string; type: string }[];
      record: Record<string, unknown>;
    } & Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual(
      ["schema", "table", "commit_timestamp", "type", "columns", "record", "old_record", "errors"].sort(),
    );
    expect(data).toMatchObject({
      schema: "public",
      table: "generation_requests",
      type: "UPDATE",
      old_record: { id: generationId },
      errors: null,
    });
    expect(data.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const columns = await h.su<{ name: string; type: string }[]>`
      select a.attname as name, t.typname as type from pg_attribute a join pg_type t on t.oid = a.atttypid
       where a.attrelid = 'public.generation_requests'::regclass and a.attnum > 0 and not a.attisdropped
       order by a.attnum`;
    expect(data.columns).toEqual(columns);
    expect(data.columns).toEqual(
      expect.arrayContaining([
        { name: "id", type: "uuid" },
        { name: "sample_size", type: "int4" },
        { name: "progress", type: "jsonb" },
        { name: "created_at", type: "timestamptz" },
      ]),
    );
    // jsonb orders keys its own way (as the real server's jsonb_object_agg does): compare as sets.
    expect(Object.keys(data.record).sort()).toEqual(columns.map((c) => c.name).sort());
    expect(data.record).toMatchObject({
      id: generationId,
      owner_id: user.id,
      sample_size: 100,
      progress: { percent: 42 },
    });

    s.send(["1", "2", "realtime:jobs", "phx_leave", {}]);
    expect(await s.next("realtime:jobs", "phx_reply", "2")).toEqual([
      "1",
      "2",
      "realtime:jobs",
      "phx_reply",
      { status: "ok", response: {} },
    ]);
    expect(await s.next("realtime:jobs", "phx_close")).toEqual(["1", "1", "realtime:jobs", "phx_close", {}]);
    s.send([null, "3", "realtime:jobs", "access_token", { access_token: token }]);
    expect(await s.next("realtime:jobs", "phx_reply", "3")).toEqual([
      null,
      "3",
      "realtime:jobs",
      "phx_reply",
      { status: "error", response: { reason: "unmatched topic" } },
    ]);
    s.close();
  });

  it("with postgres_changes_options.wait, refuses the join itself when a binding is refused", async () => {
    const s = await open();
    const binding = { event: "*", schema: "public", table: "generation_requests", filter: "nope=eq.1" };
    s.send([
      "1",
      "1",
      "realtime:waiting",
      "phx_join",
      {
        config: { postgres_changes: [binding], postgres_changes_options: { wait: true } },
        access_token: token,
      },
    ]);
    const reply = (await s.next("realtime:waiting", "phx_reply", "1"))[4] as {
      status: string;
      response: { reason: string };
    };
    expect(reply.status).toBe("error");
    expect(reply.response.reason).toMatch(/invalid column for filter nope$/);
    s.close();
  });

  it("replies ok with no bindings, and refuses a nameless topic, a non-realtime topic and a bad token", async () => {
    const s = await open();
    s.send(["1", "1", "realtime:plain", "phx_join", { config: { postgres_changes: [] } }]);
    expect(await s.next("realtime:plain", "phx_reply", "1")).toEqual([
      "1",
      "1",
      "realtime:plain",
      "phx_reply",
      { status: "ok", response: { postgres_changes: [] } },
    ]);
    s.send(["2", "2", "realtime:", "phx_join", { config: {} }]);
    expect((await s.next("realtime:", "phx_reply", "2"))[4]).toEqual({
      status: "error",
      response: { reason: "TopicNameRequired: You must provide a topic name" },
    });
    s.send(["3", "3", "room:lobby", "phx_join", {}]);
    expect((await s.next("room:lobby", "phx_reply", "3"))[4]).toEqual({
      status: "error",
      response: { reason: "unmatched topic" },
    });
    const expired = await mintAccessToken(
      h.jwtSecret,
      { sub: user.id },
      { now: new Date(Date.now() - 7200_000) },
    );
    s.send(["4", "4", "realtime:old", "phx_join", { config: {}, access_token: expired }]);
    const refused = (await s.next("realtime:old", "phx_reply", "4"))[4] as { response: { reason: string } };
    expect(refused.response.reason).toMatch(/^InvalidJWTToken: Token has expired \d+ seconds ago$/);
    s.send(["5", "5", "realtime:garbled", "phx_join", { config: {}, access_token: "x.y.z" }]);
    expect((await s.next("realtime:garbled", "phx_reply", "5"))[4]).toEqual({
      status: "error",
      response: { reason: "MalformedJWT: The token provided is not a valid JWT" },
    });
    s.close();
  });

  it("joins but reports a system error for bindings the database refuses", async () => {
    const s = await open();
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        "op",
        { event: "*", schema: "public", table: "generation_requests", filter: "id=foo.1" },
        /^Error parsing `filter` params: \["foo", "1"\]$/,
      ],
      [
        "column",
        { event: "*", schema: "public", table: "generation_requests", filter: "nope=eq.1" },
        /invalid column for filter nope$/,
      ],
      [
        "value",
        { event: "*", schema: "public", table: "generation_requests", filter: "id=eq.not-a-uuid" },
        /invalid input syntax for type uuid/,
      ],
      [
        "table",
        { event: "*", schema: "public", table: "no_such_table" },
        /relation "public.no_such_table" does not exist$/,
      ],
    ];
    for (const [name, binding, message] of cases) {
      const topic = `realtime:bad-${name}`;
      s.send([
        name,
        name,
        topic,
        "phx_join",
        { config: { postgres_changes: [binding] }, access_token: token },
      ]);
      const reply = (await s.next(topic, "phx_reply", name))[4] as {
        status: string;
        response: { postgres_changes: unknown[] };
      };
      expect(reply.status).toBe("ok");
      expect(reply.response.postgres_changes).toEqual([{ ...binding, id: bindingId(binding) }]);
      const system = (await s.next(topic, "system"))[4] as Record<string, string>;
      expect(system).toMatchObject({
        extension: "postgres_changes",
        status: "error",
        channel: `bad-${name}`,
      });
      expect(system.message).toMatch(message);
    }
    s.close();
  });
});

describe("change capture", () => {
  const captured = async () =>
    (
      await h.su<{ rel: string }[]>`
        select format('%I.%I', n.nspname, c.relname) as rel
          from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
         where t.tgname = 'synth_realtime_capture' order by 1`
    ).map((r) => r.rel);
  const published = ["generation_requests", "notifications", "optimization_runs", "optimization_trials"].map(
    (t) => `public.${t}`,
  );

  it("puts one trigger on each table of the publication, follows the publication, and is idempotent", async () => {
    expect(await installRealtimeCapture(h.db)).toEqual({ tables: published });
    expect(await captured()).toEqual(published);
    await h.su`alter publication supabase_realtime drop table public.notifications`;
    try {
      expect((await installRealtimeCapture(h.db)).tables).toEqual(
        published.filter((t) => t !== "public.notifications"),
      );
      expect(await captured()).not.toContain("public.notifications");
    } finally {
      await h.su`alter publication supabase_realtime add table public.notifications`;
    }
    await Promise.all([installRealtimeCapture(h.db), installRealtimeCapture(h.db)]);
    expect(await captured()).toEqual(published);
  });

  it("notifies the location of a change, its key and its log entry, never the row, which only the log's owner reads", async () => {
    const payloads: string[] = [];
    const listener = await h.su.listen(REALTIME_NOTIFY_CHANNEL, (p) => payloads.push(p));
    const secret = { secret: "x".repeat(100) };
    try {
      await setProgress(generationId, secret);
      await h.su`select pg_notify(${REALTIME_NOTIFY_CHANNEL}, 'end')`;
      while (!payloads.includes("end")) await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      await listener.unlisten();
    }
    const [change] = payloads.filter((p) => p !== "end").map((p) => JSON.parse(p) as Record<string, unknown>);
    expect(change).toEqual({
      schema: "public",
      table: "generation_requests",
      type: "UPDATE",
      commit_timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      pk: { id: generationId },
      old_pk: { id: generationId },
      change_id: expect.any(Number),
    });
    await h.realtime.idle();
    // The stand-in took the entry; while it is there, no API role may read it.
    const [entry] = await h.su<{ row_values: { progress: unknown } }[]>`
      insert into synth_realtime.change_log (row_values) values (${h.su.json({ progress: secret })}) returning row_values`;
    expect(entry.row_values.progress).toEqual(secret);
    for (const role of ["anon", "authenticated", "service_role"]) {
      const denied = await h.su
        .begin(async (tx) => {
          await tx.unsafe(`set local role ${role}`);
          return tx`select row_values from synth_realtime.change_log`;
        })
        .then(
          () => null,
          (error: { code?: string }) => error.code,
        );
      expect(denied, role).toBe("42501");
    }
    await h.su`delete from synth_realtime.change_log`;
  });
});

describe("tokens, presence, broadcast and bad input", () => {
  it("closes a channel whose refreshed token is expired or forged, with the real server's system message", async () => {
    const s = await open();
    const join = (ref: string, topic: string) => {
      s.send([
        ref,
        ref,
        topic,
        "phx_join",
        {
          config: { postgres_changes: [{ event: "*", schema: "public", table: "notifications" }] },
          access_token: token,
        },
      ]);
      return s.next(topic, "system");
    };
    await join("1", "realtime:a");
    const expired = await mintAccessToken(
      h.jwtSecret,
      { sub: user.id },
      { now: new Date(Date.now() - 7200_000) },
    );
    s.send(["1", "2", "realtime:a", "access_token", { access_token: expired }]);
    const [, , , , payload] = await s.frames.next(
      (f) => f[2] === "realtime:a" && f[3] === "system" && f[4].status === "error",
    );
    expect(payload).toMatchObject({ extension: "system", status: "error", channel: "a" });
    expect(payload.message).toMatch(/^Token has expired \d+ seconds ago$/);
    expect(await s.next("realtime:a", "phx_close")).toEqual(["1", "1", "realtime:a", "phx_close", {}]);

    await join("3", "realtime:b");
    const forged = await mintAccessToken("another-secret-of-at-least-32-characters!!", { sub: user.id });
    s.send(["3", "4", "realtime:b", "access_token", { access_token: forged }]);
    const [, , , , forgedPayload] = await s.frames.next(
      (f) => f[2] === "realtime:b" && f[3] === "system" && f[4].status === "error",
    );
    expect(forgedPayload).toEqual({
      extension: "system",
      status: "error",
      message: ":signature_error",
      channel: "b",
    });
    await s.next("realtime:b", "phx_close");

    // The same token again, an API key of the new format, or none: no reply, the channel stays.
    await join("5", "realtime:c");
    s.send(["5", "6", "realtime:c", "access_token", { access_token: token }]);
    s.send(["5", "7", "realtime:c", "access_token", { access_token: "sb_publishable_abc" }]);
    s.send(["5", "8", "realtime:c", "access_token", { access_token: null }]);
    await s.roundTrip("9");
    expect(
      s.frames.items.filter(
        (f) => f[2] === "realtime:c" && ["phx_close", "phx_reply"].includes(f[3]) && f[1] !== "5",
      ),
    ).toEqual([]);
    s.close();
  });

  it("closes a channel when its token expires without a refresh", async () => {
    const s = await open();
    const shortLived = await mintAccessToken(h.jwtSecret, { sub: user.id }, { expiresIn: 2 });
    s.send(["1", "1", "realtime:brief", "phx_join", { config: {}, access_token: shortLived }]);
    expect((await s.next("realtime:brief", "phx_reply", "1"))[4]).toMatchObject({ status: "ok" });
    expect((await s.next("realtime:brief", "system"))[4]).toEqual({
      extension: "system",
      status: "error",
      message: "Token has expired 0 seconds ago",
      channel: "brief",
    });
    expect(await s.next("realtime:brief", "phx_close")).toEqual([
      "1",
      "1",
      "realtime:brief",
      "phx_close",
      {},
    ]);
    s.close();
  });

  it("refuses presence and broadcast pushes with an error reply and keeps the channel", async () => {
    const s = await open();
    s.send([
      "1",
      "1",
      "realtime:mixed",
      "phx_join",
      {
        config: {
          presence: { key: "", enabled: true },
          postgres_changes: [
            {
              event: "UPDATE",
              schema: "public",
              table: "generation_requests",
              filter: `id=eq.${generationId}`,
            },
          ],
        },
        access_token: token,
      },
    ]);
    await s.next("realtime:mixed", "system");
    s.send([
      "1",
      "2",
      "realtime:mixed",
      "presence",
      { type: "presence", event: "track", payload: { online: true } },
    ]);
    expect(await s.next("realtime:mixed", "phx_reply", "2")).toEqual([
      "1",
      "2",
      "realtime:mixed",
      "phx_reply",
      { status: "error", response: { reason: PRESENCE_REFUSED } },
    ]);
    s.send(["1", "3", "realtime:mixed", "broadcast", { type: "broadcast", event: "hi", payload: {} }]);
    expect((await s.next("realtime:mixed", "phx_reply", "3"))[4]).toEqual({
      status: "error",
      response: { reason: BROADCAST_REFUSED },
    });
    // realtime-js's binary broadcast push (kind 3): [kind, joinRefLen, refLen, topicLen, eventLen, metaLen, encoding]...
    const parts = ["1", "4", "realtime:mixed", "hi"].map((p) => Buffer.from(p));
    const header = Buffer.from([3, parts[0].length, parts[1].length, parts[2].length, parts[3].length, 0, 1]);
    s.ws.send(Buffer.concat([header, ...parts, Buffer.from("{}")]));
    expect((await s.next("realtime:mixed", "phx_reply", "4"))[4]).toEqual({
      status: "error",
      response: { reason: BROADCAST_REFUSED },
    });

    await setProgress(generationId, { percent: 7 });
    const change = await s.next("realtime:mixed", "postgres_changes");
    expect((change[4].data as { record: { progress: unknown } }).record.progress).toEqual({ percent: 7 });
    s.close();
  });

  it("closes a connection that sends a malformed frame, and goes on serving the others", async () => {
    const bystander = await open();
    for (const bad of [
      "not json",
      "[1,2,3]",
      '{"topic":"phoenix"}',
      '[null,"1","phoenix","heartbeat","payload"]',
    ]) {
      const s = await open();
      s.send(bad);
      expect(await s.closed).toEqual({ code: 1007, reason: "malformed frame" });
    }
    const binary = await open();
    binary.ws.send(Buffer.from([9, 9, 9]));
    await binary.roundTrip("1");
    binary.close();

    const big = await open();
    big.send(["1", "1", "realtime:big", "phx_join", { config: {}, padding: "x".repeat(300 * 1024) }]);
    expect((await big.closed).code).toBe(1009);

    await bystander.roundTrip("2");
    bystander.close();
  });

  it("bounds the connections and the bindings of a channel, as configured", async () => {
    const server = createServer((_req, res) => res.writeHead(404).end());
    const realtime = createRealtimeServer({
      db: h.db,
      listen: () => ({ listening: true, close: async () => {} }),
      verify: createRealtimeTokenVerifier(h.jwtSecret),
      limits: { maxConnections: 1, maxBindingsPerChannel: 1 },
    });
    realtime.attach(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const first = await RawSocket.open(url, { apikey: h.anonKey, vsn: "2.0.0" });
      expect(await RawSocket.refusal(url, { apikey: h.anonKey, vsn: "2.0.0" })).toEqual({
        status: 429,
        body: { error: "Too many connected users" },
      });
      const binding = { event: "*", schema: "public", table: "notifications" };
      first.send([
        "1",
        "1",
        "realtime:two",
        "phx_join",
        { config: { postgres_changes: [binding, { ...binding, event: "INSERT" }] } },
      ]);
      expect((await first.next("realtime:two", "phx_reply", "1"))[4]).toEqual({
        status: "error",
        response: { reason: "TooManyBindings: at most 1 postgres_changes per channel" },
      });
      const otherPath = await new Promise<number>((resolve) => {
        const ws = new WebSocket(url.replace("http", "ws") + "/elsewhere");
        ws.once("error", () => {});
        ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      });
      expect(otherPath).toBe(404);
      first.close();
      await first.closed;
    } finally {
      await realtime.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("bounds the channels of one connection", async () => {
    const s = await open();
    for (let i = 0; i < 100; i++) s.send([`${i}`, `${i}`, `realtime:n${i}`, "phx_join", { config: {} }]);
    await s.next("realtime:n99", "phx_reply", "99");
    s.send(["x", "x", "realtime:one-too-many", "phx_join", { config: {} }]);
    expect((await s.next("realtime:one-too-many", "phx_reply", "x"))[4]).toEqual({
      status: "error",
      response: { reason: "ChannelRateLimitReached: Too many channels" },
    });
    s.close();
  });
});
