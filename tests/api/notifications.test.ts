import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type ApiUser, type Harness } from "./harness.ts";
import { runMatrix } from "./matrix.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

async function notify(userId: string, options: { read?: boolean; title?: string } = {}): Promise<string> {
  const [row] = await h.su<{ id: string }[]>`
    insert into public.notifications (user_id, kind, title, read_at)
    values (${userId}, 'system', ${options.title ?? "hello"}, ${options.read ? new Date() : null})
    returning id`;
  return row.id;
}

interface Page {
  items: { id: string; title: string; read_at: string | null; created_at: string }[];
  page: number;
  page_size: number;
  total: number;
}

const problemPaths = (res: { body: { error?: { details: Record<string, unknown> } } }) =>
  ((res.body.error?.details.problems ?? []) as { path: string }[]).map((p) => p.path);

const readAt = async (id: string) =>
  (await h.su<{ read_at: Date | null }[]>`select read_at from public.notifications where id = ${id}`)[0]
    ?.read_at;

describe("GET /notifications", () => {
  it("pages the caller's notifications newest first and filters unread ones", async () => {
    const user = await h.user();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = await notify(user.id, { read: i % 2 === 0, title: `n${i}` });
      await h.su`update public.notifications set created_at = now() - make_interval(mins => ${10 - i}) where id = ${id}`;
      ids.push(id);
    }
    const first = await h.call("/notifications?page=1&page_size=2", { token: user.token });
    expect(first.status).toBe(200);
    const p1 = first.body.data as Page;
    expect(p1).toMatchObject({ page: 1, page_size: 2, total: 5 });
    expect(p1.items.map((n) => n.title)).toEqual(["n4", "n3"]);
    const p3 = (await h.call("/notifications?page=3&page_size=2", { token: user.token })).body.data as Page;
    expect(p3.items.map((n) => n.title)).toEqual(["n0"]);
    const unread = (await h.call("/notifications?unread=true", { token: user.token })).body.data as Page;
    expect(unread.total).toBe(2);
    expect(unread.items.map((n) => n.title)).toEqual(["n3", "n1"]);
    expect(unread.items.every((n) => n.read_at === null)).toBe(true);
  });

  it("refuses bad paging and filters with 400 and the problem paths", async () => {
    const user = await h.user();
    const res = await h.call("/notifications?page=0&page_size=101&unread=maybe", { token: user.token });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe("VALIDATION_ERROR");
    expect(problemPaths(res).sort()).toEqual(["page", "page_size", "unread"]);
  });

  it("authorisation: anon 401, everyone else their own only, disabled 403", async () => {
    await runMatrix(h, {
      arrange: async (_h, owner) => notify(owner.id),
      act: (_h, caller) => h.call("/notifications", { token: caller?.token }),
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
      check: (res, who, id) => {
        const ids = (res.body.data as Page).items.map((n) => n.id);
        expect(ids.includes(id), who).toBe(who === "owner");
      },
    });
  });
});

describe("POST /notifications/read", () => {
  it("marks the given ids read and answers how many were newly marked", async () => {
    const user = await h.user();
    const a = await notify(user.id);
    const b = await notify(user.id);
    const already = await notify(user.id, { read: true });
    const before = await readAt(already);
    const res = await h.call("/notifications/read", {
      method: "POST",
      token: user.token,
      json: { ids: [a, b, already, a] },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ marked: 2 });
    expect(await readAt(a)).toBeInstanceOf(Date);
    expect(await readAt(b)).toBeInstanceOf(Date);
    expect(await readAt(already)).toEqual(before);
    const untouched = await notify(user.id);
    const again = await h.call("/notifications/read", {
      method: "POST",
      token: user.token,
      json: { ids: [a] },
    });
    expect(again.body.data).toEqual({ marked: 0 });
    expect(await readAt(untouched)).toBeNull();
  });

  it("marks all of the caller's notifications, and nobody else's", async () => {
    const user = await h.user();
    const other = await h.user();
    const mine = [await notify(user.id), await notify(user.id), await notify(user.id)];
    const theirs = await notify(other.id);
    const res = await h.call("/notifications/read", {
      method: "POST",
      token: user.token,
      json: { all: true },
    });
    expect(res.body.data).toEqual({ marked: 3 });
    for (const id of mine) expect(await readAt(id)).toBeInstanceOf(Date);
    expect(await readAt(theirs)).toBeNull();
  });

  it("refuses another user's id with 404 and marks nothing", async () => {
    const user = await h.user();
    const other = await h.user();
    const mine = await notify(user.id);
    const theirs = await notify(other.id);
    const res = await h.call("/notifications/read", {
      method: "POST",
      token: user.token,
      json: { ids: [mine, theirs] },
    });
    expect(res.status).toBe(404);
    expect(res.body.error?.details.missing).toEqual([theirs]);
    expect(await readAt(mine)).toBeNull();
    expect(await readAt(theirs)).toBeNull();
  });

  it("validates the body: 400 with the problem paths", async () => {
    const user = await h.user();
    const cases: [unknown, string[]][] = [
      [{}, ["ids"]],
      [{ ids: [] }, ["ids"]],
      [{ ids: ["00000000-0000-4000-8000-000000000000", "nope"] }, ["ids.1"]],
      [{ ids: Array.from({ length: 501 }, () => crypto.randomUUID()) }, ["ids"]],
      [{ all: false }, ["all"]],
      [{ all: true, ids: [crypto.randomUUID()] }, ["ids"]],
      [{ all: true, extra: 1 }, [""]],
    ];
    for (const [json, paths] of cases) {
      const res = await h.call("/notifications/read", { method: "POST", token: user.token, json });
      expect(res.status, JSON.stringify(json).slice(0, 80)).toBe(400);
      expect(problemPaths(res), JSON.stringify(json).slice(0, 80)).toEqual(paths);
    }
  });

  it("authorisation by id: another user's (and an admin's view of it) is 404", async () => {
    await runMatrix(h, {
      arrange: async (_h, owner) => notify(owner.id),
      act: (_h, caller, id) =>
        h.call("/notifications/read", { method: "POST", token: caller?.token, json: { ids: [id] } }),
      expect: { anon: 401, owner: 200, other: 404, disabled: 403, admin: 404 },
      check: async (res, _who, id) => {
        expect(res.body.data).toEqual({ marked: 1 });
        expect(await readAt(id)).toBeInstanceOf(Date);
      },
    });
  });

  it("authorisation for all: each caller marks only their own", async () => {
    await runMatrix(h, {
      arrange: async (_h, owner) => notify(owner.id),
      act: (_h, caller) =>
        h.call("/notifications/read", { method: "POST", token: caller?.token, json: { all: true } }),
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
      check: async (res, who, id) => {
        expect(res.body.data, who).toEqual({ marked: who === "owner" ? 1 : 0 });
        expect(await readAt(id), who).toEqual(who === "owner" ? expect.any(Date) : null);
      },
    });
  });
});

describe("DELETE /notifications/{id}", () => {
  it("deletes the caller's notification; a second delete and an unknown id are 404", async () => {
    const user = await h.user();
    const id = await notify(user.id);
    const res = await h.call(`/notifications/${id}`, { method: "DELETE", token: user.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ id, deleted: true });
    expect(await h.su`select 1 from public.notifications where id = ${id}`).toHaveLength(0);
    expect((await h.call(`/notifications/${id}`, { method: "DELETE", token: user.token })).status).toBe(404);
    const bad = await h.call("/notifications/not-a-uuid", { method: "DELETE", token: user.token });
    expect(bad.status).toBe(400);
    expect(problemPaths(bad)).toEqual(["id"]);
  });

  it("authorisation: another user's id is 404 and the row stays", async () => {
    await runMatrix(h, {
      arrange: async (_h, owner: ApiUser) => notify(owner.id),
      act: (_h, caller, id) => h.call(`/notifications/${id}`, { method: "DELETE", token: caller?.token }),
      expect: { anon: 401, owner: 200, other: 404, disabled: 403, admin: 404 },
    });
  });
});
