import { randomBytes, randomUUID } from "node:crypto";
import type { RealtimePostgresChangesPayload, SupabaseClient } from "@supabase/supabase-js";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asServiceRole } from "../../shared/platform/db.ts";
import { mintAccessToken } from "../../shared/platform/jwt-mint.ts";
import { createDataset, createGeneration } from "../db/fixtures.ts";
import { Inbox, startRealtimeHarness, subscribed, type RealtimeHarness } from "./realtime-harness.ts";

/**
 * The local Realtime stand-in driven by the unmodified supabase-js 2.119 client, as the app follows a job
 * (DESIGN.md 6): postgres_changes on generation_requests filtered by id, RLS deciding who hears what.
 * "Receives nothing" is checked after a barrier, never after a sleep: the server has finished the change
 * (idle) and a later join on the same socket has been answered, so anything sent before it has arrived.
 */

type Change = RealtimePostgresChangesPayload<Record<string, unknown>>;
type Event = "INSERT" | "UPDATE" | "DELETE" | "*";

let h: RealtimeHarness;

beforeAll(async () => {
  h = await startRealtimeHarness("local");
});
afterAll(async () => {
  await h?.close();
});

interface SignedIn {
  c: SupabaseClient;
  id: string;
  email: string;
  password: string;
}

async function signUp(): Promise<SignedIn> {
  const c = h.client();
  const email = `rt-${randomUUID().slice(0, 12)}@example.test`;
  const password = `pw-${randomBytes(9).toString("base64url")}`;
  const { data, error } = await c.auth.signUp({ email, password });
  expect(error).toBeNull();
  return { c, id: data.user!.id, email, password };
}

async function generationOf(ownerId: string): Promise<string> {
  return createGeneration(h.su, ownerId, await createDataset(h.su, ownerId));
}

/** The runner's report_progress: an update as service_role. */
const reportProgress = (id: string, percent: number) =>
  asServiceRole(h.db, "test: report progress", (tx) =>
    sql`update public.generation_requests set progress = ${JSON.stringify({ percent })}::text::jsonb where id = ${id}`.execute(
      tx,
    ),
  );

function watch(c: SupabaseClient, event: Event, filter?: string) {
  const changes = new Inbox<Change>();
  const system = new Inbox<Record<string, unknown>>();
  const statuses = new Inbox<string>();
  const channel = c
    .channel(`jobs-${randomUUID().slice(0, 8)}`)
    .on(
      "postgres_changes" as never,
      { event, schema: "public", table: "generation_requests", ...(filter ? { filter } : {}) } as never,
      changes.push as never,
    )
    .on("system", {}, system.push);
  return { channel, changes, system, statuses, ready: subscribed(channel, statuses) };
}

/** Everything the server was to send these clients about the changes so far has arrived. */
async function settle(...clients: SupabaseClient[]): Promise<void> {
  await h.realtime.idle();
  for (const c of clients) {
    const barrier = c.channel(`barrier-${randomUUID().slice(0, 8)}`);
    await subscribed(barrier);
    await c.removeChannel(barrier);
  }
}

describe("following a job", () => {
  it("sends the owner the UPDATE of their row, with the record, and nothing to another user", async () => {
    const a = await signUp();
    const b = await signUp();
    const job = await generationOf(a.id);
    const seenByA = watch(a.c, "UPDATE", `id=eq.${job}`);
    const seenByB = watch(b.c, "UPDATE", `id=eq.${job}`);
    await Promise.all([seenByA.ready, seenByB.ready]);

    await reportProgress(job, 55);
    const change = await seenByA.changes.next();
    expect(change).toMatchObject({
      schema: "public",
      table: "generation_requests",
      eventType: "UPDATE",
      new: { id: job, owner_id: a.id, status: "queued", sample_size: 100, progress: { percent: 55 } },
      old: { id: job },
      errors: null,
    });
    expect(Object.keys(change.old)).toEqual(["id"]);
    expect(typeof change.commit_timestamp).toBe("string");

    await settle(b.c);
    expect(seenByB.changes.items).toEqual([]);
  });

  it("sends INSERTs and DELETEs, and `*` gets both in order; deletes carry only the key, to every subscriber", async () => {
    const a = await signUp();
    const b = await signUp();
    const inserts = watch(a.c, "INSERT", `owner_id=eq.${a.id}`);
    const everything = watch(a.c, "*");
    const othersInserts = watch(b.c, "INSERT");
    await Promise.all([inserts.ready, everything.ready, othersInserts.ready]);

    const job = await generationOf(a.id);
    const inserted = await inserts.changes.next();
    expect(inserted).toMatchObject({ eventType: "INSERT", new: { id: job, owner_id: a.id }, old: {} });
    expect(await everything.changes.next()).toMatchObject({ eventType: "INSERT", new: { id: job } });

    const deletes = watch(a.c, "DELETE", `id=eq.${job}`);
    const othersDeletes = watch(b.c, "DELETE", `id=eq.${job}`);
    await Promise.all([deletes.ready, othersDeletes.ready]);
    await h.su`delete from public.generation_requests where id = ${job}`;
    const deleted = await deletes.changes.next();
    expect(deleted).toMatchObject({ eventType: "DELETE", new: {}, old: { id: job } });
    expect(Object.keys(deleted.old)).toEqual(["id"]);
    expect((await everything.changes.next((c) => c.eventType === "DELETE")).old).toEqual({ id: job });
    expect(everything.changes.items.map((c) => c.eventType)).toEqual(["INSERT", "DELETE"]);
    // As on Supabase: a DELETE is not RLS-checked (the row is gone), and says no more than the key.
    expect((await othersDeletes.changes.next()).old).toEqual({ id: job });

    await settle(b.c);
    expect(othersInserts.changes.items).toEqual([]);
  });

  it("sends every state a row passed through, even when the next commit lands before the first is delivered", async () => {
    const a = await signUp();
    const job = await generationOf(a.id);
    const seen = watch(a.c, "UPDATE", `id=eq.${job}`);
    const running = watch(a.c, "UPDATE", "status=eq.running");
    await Promise.all([seen.ready, running.ready]);

    // One transaction: both notifications reach the stand-in at its commit, when the row is already in its
    // last state, as a runner's claim can follow an approval faster than Realtime delivers.
    await asServiceRole(h.db, "test: claim, progress, failure", async (tx) => {
      const set = (assignment: string) =>
        sql`update public.generation_requests set ${sql.raw(assignment)} where id = ${job}`.execute(tx);
      await set(`status = 'running'`);
      await set(`progress = '{"percent": 10}'`);
      await set(`status = 'failed'`);
    });
    const row = (c: Change) => c.new as { status?: string; progress?: unknown };
    await seen.changes.next((c) => row(c).status === "failed");
    expect(seen.changes.items.map((c) => [row(c).status, row(c).progress])).toEqual([
      ["running", {}],
      ["running", { percent: 10 }],
      ["failed", { percent: 10 }],
    ]);
    await settle(a.c);
    // The filter judges each change's values, not the row's latest.
    expect(running.changes.items.map((c) => row(c).progress)).toEqual([{}, { percent: 10 }]);
  });

  it("sends a row larger than a notification may be, and leaves nothing in the change log", async () => {
    const a = await signUp();
    const job = await generationOf(a.id);
    const seen = watch(a.c, "UPDATE", `id=eq.${job}`);
    await seen.ready;
    const note = "x".repeat(9000);
    await asServiceRole(h.db, "test: large progress", (tx) =>
      sql`update public.generation_requests set progress = jsonb_build_object('note', ${note}::text) where id = ${job}`.execute(
        tx,
      ),
    );
    expect((await seen.changes.next()).new).toMatchObject({ id: job, progress: { note } });
    await h.realtime.idle();
    expect(await h.su`select id from synth_realtime.change_log`).toEqual([]);
  });

  it("sends nothing when the filter does not match", async () => {
    const a = await signUp();
    const [watched, other] = [await generationOf(a.id), await generationOf(a.id)];
    const mismatch = watch(a.c, "UPDATE", `id=eq.${other}`);
    const control = watch(a.c, "UPDATE", `id=eq.${watched}`);
    const byStatus = watch(a.c, "UPDATE", "status=in.(running,failed)");
    await Promise.all([mismatch.ready, control.ready, byStatus.ready]);

    await reportProgress(watched, 10);
    expect((await control.changes.next()).new).toMatchObject({ id: watched });
    await settle(a.c);
    expect(mismatch.changes.items).toEqual([]);
    expect(byStatus.changes.items).toEqual([]);
  });
});

describe("the session", () => {
  it("starts anonymous (RLS hides the row), hears it once signed in, and is closed when given an expired token", async () => {
    const owner = await signUp();
    const job = await generationOf(owner.id);
    const c = h.client();
    const w = watch(c, "UPDATE", `id=eq.${job}`);
    // The service_role key reads past RLS: it hears the change the anonymous client must not.
    const control = watch(h.client(h.serviceRoleKey), "UPDATE", `id=eq.${job}`);
    await Promise.all([w.ready, control.ready]);
    expect(await w.system.next((m) => m.status === "ok")).toMatchObject({
      extension: "postgres_changes",
      message: "Subscribed to PostgreSQL",
    });

    await reportProgress(job, 1);
    expect((await control.changes.next()).new).toMatchObject({ id: job, progress: { percent: 1 } });
    await settle(c);
    expect(w.changes.items).toEqual([]);

    // signIn fires SIGNED_IN, and supabase-js hands the new token to realtime (access_token event).
    const { error } = await c.auth.signInWithPassword({ email: owner.email, password: owner.password });
    expect(error).toBeNull();
    await w.system.next(() => w.system.items.filter((m) => m.status === "ok").length === 2);

    await reportProgress(job, 2);
    expect((await w.changes.next()).new).toMatchObject({ id: job, progress: { percent: 2 } });

    const expired = await mintAccessToken(
      h.jwtSecret,
      { sub: owner.id },
      { now: new Date(Date.now() - 7200_000) },
    );
    await c.realtime.setAuth(expired);
    const refused = await w.system.next((m) => m.status === "error");
    expect(refused).toMatchObject({ extension: "system", status: "error", channel: w.channel.subTopic });
    expect(refused.message).toMatch(/^Token has expired \d+ seconds ago$/);
    await w.statuses.next((s) => s === "CLOSED");
  });

  it("stops sending after removeChannel", async () => {
    const a = await signUp();
    const job = await generationOf(a.id);
    const removed = watch(a.c, "UPDATE", `id=eq.${job}`);
    const kept = watch(a.c, "UPDATE", `id=eq.${job}`);
    await Promise.all([removed.ready, kept.ready]);
    expect(await a.c.removeChannel(removed.channel)).toBe("ok");
    expect(a.c.getChannels()).toEqual([kept.channel]);

    await reportProgress(job, 99);
    await kept.changes.next();
    await settle(a.c);
    expect(removed.changes.items).toEqual([]);
  });

  it("answers the client's heartbeat", async () => {
    const a = await signUp();
    const w = watch(a.c, "UPDATE", "id=eq.00000000-0000-0000-0000-000000000000");
    await w.ready;
    const beats = new Inbox<string>();
    a.c.realtime.onHeartbeat((status) => beats.push(status));
    await a.c.realtime.sendHeartbeat();
    await beats.next((s) => s === "ok");
    expect(beats.items).not.toContain("timeout");
  });

  it("refuses presence and broadcast without breaking postgres_changes", async () => {
    const a = await signUp();
    const job = await generationOf(a.id);
    const changes = new Inbox<Change>();
    const channel = a.c
      .channel(`room-${randomUUID().slice(0, 8)}`, { config: { broadcast: { ack: true } } })
      .on("presence", { event: "sync" }, () => {})
      .on(
        "postgres_changes",
        { event: "UPDATE", schema: "public", table: "generation_requests", filter: `id=eq.${job}` },
        changes.push,
      );
    await subscribed(channel);
    expect(await channel.track({ online: true })).toBe("error");
    expect(await channel.send({ type: "broadcast", event: "hello", payload: { n: 1 } })).toBe("error");

    await reportProgress(job, 33);
    expect((await changes.next()).new).toMatchObject({ progress: { percent: 33 } });
  });
});
