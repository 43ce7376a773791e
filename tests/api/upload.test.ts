import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiConfig } from "../../functions/config.ts";
import { createDiskStorage } from "../../local/storage/disk-store.ts";
import { createDb, type Db } from "../../shared/platform/db.ts";
import type { StoragePort } from "../../shared/platform/storage.ts";
import { createDataset, createGeneration } from "../db/fixtures.ts";
import { createHarness, TEST_JWT_SECRET, type ApiResponse, type ApiUser, type Harness } from "./harness.ts";
import { runMatrix } from "./matrix.ts";

const DATASETS = "/work/shared/datasets";
const storageDbs: Db[] = [];
const key = new TextEncoder().encode(TEST_JWT_SECRET);

/** The local disk store over the test database: storage.objects rows and their policies decide. */
function diskStorage(config: ApiConfig, dataDir: string) {
  const db = createDb({ url: config.dbUrl, maxConnections: 2 });
  storageDbs.push(db);
  return createDiskStorage({
    root: join(dataDir, "blobs"),
    db,
    verify: async (token) =>
      (await jose.jwtVerify(token, key, { algorithms: ["HS256"] })).payload as Record<string, unknown>,
    jwtSecret: TEST_JWT_SECRET,
    publicUrl: "http://127.0.0.1:54321",
  });
}

/**
 * The disk store, except that reading an object named `*race*` lets its owner overwrite it right after
 * (a real second upload as them): the window between the API's read and the registration.
 */
function racingStorage(config: ApiConfig, dataDir: string): StoragePort {
  const inner = diskStorage(config, dataDir);
  return {
    asServiceRole: (scope) => inner.asServiceRole(scope),
    forUser(token) {
      const store = inner.forUser(token);
      return {
        ...store,
        async download(bucket, path) {
          const bytes = await store.download(bucket, path);
          if (path.includes("race")) {
            await store.upload(bucket, path, csvBytes("a,b\n1,2\n3,4\n5,6\n"), { upsert: true });
          }
          return bytes;
        },
      };
    },
  };
}

let h: Harness;
/** Tight limits: a 4 KiB upload body, 1 KiB inline profiling, 3 uploads an hour. */
let tight: Harness;
let penguins: Uint8Array;

beforeAll(async () => {
  h = await createHarness({ storage: diskStorage });
  tight = await createHarness({
    storage: diskStorage,
    env: {
      SYNTH_MAX_UPLOAD_BYTES: "4096",
      SYNTH_INLINE_PROFILE_BYTES: "1024",
      SYNTH_RATE_UPLOADS_PER_HOUR: "3",
    },
  });
  penguins = new Uint8Array(await readFile(join(DATASETS, "penguins.csv")));
});
afterAll(async () => {
  await Promise.all([h.close(), tight.close()]);
  await Promise.all(storageDbs.map((db) => db.destroy()));
});

const SMALL_CSV = "age,city\n31,Leeds\n45,York\n27,Leeds\n";
const csvBytes = (text: string) => new TextEncoder().encode(text);

function upload(
  harness: Harness,
  caller: ApiUser | null,
  bytes: Uint8Array,
  fileName: string,
  fields: Record<string, string> = {},
): Promise<ApiResponse> {
  const form = new FormData();
  form.append("file", new File([bytes as Uint8Array<ArrayBuffer>], fileName, { type: "text/csv" }));
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return harness.call("/upload/dataset", { method: "POST", body: form, token: caller?.token ?? null });
}

const register = (harness: Harness, caller: ApiUser | null, body: unknown) =>
  harness.call("/upload/register", { method: "POST", json: body, token: caller?.token ?? null });

/** What supabase-js does: the user's own JWT against Storage, the storage policies deciding. */
const putObject = (harness: Harness, user: ApiUser, path: string, bytes: Uint8Array) =>
  harness.deps.storage.forUser(user.token).upload("datasets", path, bytes, { contentType: "text/csv" });

const objectsOf = async (harness: Harness, userId: string) =>
  (
    await harness.su<{ name: string }[]>`
      select name from storage.objects where bucket_id = 'datasets' and name like ${`${userId}/%`}`
  ).map((r) => r.name);

const datasetRowsOf = (harness: Harness, userId: string) =>
  harness.su<{ id: string; storage_path: string; status: string }[]>`
    select id, storage_path, status from public.datasets where owner_id = ${userId}`;

interface DatasetBody {
  id: string;
  name: string;
  status: string;
  format: string;
  storage_path: string;
  size_bytes: number;
  sha256: string | null;
  row_count: number | null;
  column_count: number | null;
  error: { code: string; message: string; details: Record<string, unknown> } | null;
  column_metadata: { columns: { name: string; sdtype: string }[] } | null;
  profile: { rows: number; columns: number; columnProfiles: { name: string }[] } | null;
}
const dataOf = (res: ApiResponse) => res.body.data as DatasetBody;

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("POST /upload/dataset", () => {
  it("uploads penguins.csv into the caller's folder and answers it ready, with its profile and metadata", async () => {
    const user = await h.user();
    const res = await upload(h, user, penguins, "penguins.csv", { description: "Palmer penguins" });
    expect(res.status, res.text).toBe(201);
    const d = dataOf(res);
    expect(d).toMatchObject({
      name: "penguins.csv",
      status: "ready",
      format: "csv",
      size_bytes: penguins.length,
      row_count: 344,
      column_count: 8,
      error: null,
    });
    expect(d.sha256).toBe(await sha256(penguins));
    expect(d.storage_path).toMatch(new RegExp(`^${user.id}/[0-9a-f-]{36}-penguins\\.csv$`));
    expect(d.profile?.rows).toBe(344);
    expect(d.profile?.columnProfiles.map((c) => c.name)).toContain("flipper_length_mm");
    const sdtypes = Object.fromEntries(d.column_metadata!.columns.map((c) => [c.name, c.sdtype]));
    expect(sdtypes).toMatchObject({ species: "categorical", body_mass_g: "numerical" });
    expect(res.body.message).toMatch(/validated and profiled/);
    // The bytes are in Storage, as the owner reads them.
    const stored = await h.deps.storage.forUser(user.token).download("datasets", d.storage_path);
    expect(await sha256(stored)).toBe(d.sha256);
    // The database row is what the answer says (the status was written by the validation scope).
    const [row] = await h.su`select status, row_count, sha256 from public.datasets where id = ${d.id}`;
    expect(row).toEqual({ status: "ready", row_count: 344, sha256: d.sha256 });
  });

  it("sanitises the file name and keeps a given name", async () => {
    const user = await h.user();
    const res = await upload(h, user, csvBytes(SMALL_CSV), "../../my data (v2).csv", { name: "Cities" });
    expect(res.status, res.text).toBe(201);
    expect(dataOf(res).name).toBe("Cities");
    expect(dataOf(res).storage_path).toMatch(new RegExp(`^${user.id}/[0-9a-f-]{36}-my_data_v2_\\.csv$`));
  });

  it("refuses a form without a file part with 400 and the path", async () => {
    const user = await h.user();
    const form = new FormData();
    form.append("name", "nothing");
    const res = await h.call("/upload/dataset", { method: "POST", body: form, token: user.token });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe("VALIDATION_ERROR");
    expect(res.body.error?.details.problems).toEqual([expect.objectContaining({ path: "file" })]);
  });

  it("answers a ragged CSV 201 as an invalid dataset with the reader's error and its row", async () => {
    const user = await h.user();
    const res = await upload(h, user, csvBytes("a,b\n1,2\n3,4\n5\n6,7\n"), "broken.csv");
    expect(res.status, res.text).toBe(201);
    const d = dataOf(res);
    expect(d.status).toBe("invalid");
    expect(d.error?.code).toBe("RAGGED_ROW");
    expect(d.error?.details.row).toBe(3);
    expect(d.profile).toBeNull();
    expect(res.body.message).toMatch(/not a valid table \(RAGGED_ROW\)/);
    const [row] = await h.su`select status, error->>'code' as code from public.datasets where id = ${d.id}`;
    expect(row).toEqual({ status: "invalid", code: "RAGGED_ROW" });
  });

  it("refuses bytes that are no table format at all with 422, writing nothing", async () => {
    const user = await h.user();
    const res = await upload(h, user, new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]), "archive");
    expect(res.status).toBe(422);
    expect(res.body.error?.code).toBe("UNSUPPORTED_FORMAT");
    expect(await objectsOf(h, user.id)).toEqual([]);
    expect(await datasetRowsOf(h, user.id)).toEqual([]);
  });

  it("refuses a body over SYNTH_MAX_UPLOAD_BYTES with 413 before writing the object", async () => {
    const user = await tight.user();
    const big = csvBytes(`n\n${"123456789\n".repeat(800)}`);
    const res = await upload(tight, user, big, "big.csv");
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe("PAYLOAD_TOO_LARGE");
    expect(res.body.error?.details.limitBytes).toBe(4096);
    expect(await objectsOf(tight, user.id)).toEqual([]);
    expect(await datasetRowsOf(tight, user.id)).toEqual([]);
  });

  it("leaves a file over SYNTH_INLINE_PROFILE_BYTES 'uploaded' for the runner and says so", async () => {
    const user = await tight.user();
    const bytes = csvBytes(`n,m\n${"1234,5678\n".repeat(200)}`);
    const res = await upload(tight, user, bytes, "medium.csv");
    expect(res.status, res.text).toBe(201);
    const d = dataOf(res);
    expect(d).toMatchObject({ status: "uploaded", row_count: null, profile: null, size_bytes: bytes.length });
    expect(d.sha256).toBe(await sha256(bytes));
    expect(res.body.message).toMatch(/validated by a background job/);
  });

  it("rate-limits uploads per user with 429 and Retry-After", async () => {
    const user = await tight.user();
    for (let i = 0; i < 3; i++) {
      expect((await upload(tight, user, csvBytes(SMALL_CSV), `s${i}.csv`)).status).toBe(201);
    }
    const limited = await upload(tight, user, csvBytes(SMALL_CSV), "s3.csv");
    expect(limited.status).toBe(429);
    expect(limited.body.error?.code).toBe("RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await datasetRowsOf(tight, user.id)).toHaveLength(3);
    // Another user has their own budget.
    expect((await upload(tight, await tight.user(), csvBytes(SMALL_CSV), "x.csv")).status).toBe(201);
  });

  it("authorisation matrix", async () => {
    await runMatrix(h, {
      arrange: async () => undefined,
      act: (hh, caller) => upload(hh, caller, csvBytes(SMALL_CSV), "m.csv"),
      expect: { anon: 401, owner: 201, other: 201, disabled: 403, admin: 201 },
      check: (res) => expect(dataOf(res).status).toBe("ready"),
    });
  });
});

describe("POST /upload/register", () => {
  it("registers a file the client uploaded to Storage itself, validated inline", async () => {
    const user = await h.user();
    const path = `${user.id}/direct/penguins.csv`;
    await putObject(h, user, path, penguins);
    const res = await register(h, user, { path, name: "Penguins", description: "direct upload" });
    expect(res.status, res.text).toBe(201);
    expect(dataOf(res)).toMatchObject({
      name: "Penguins",
      storage_path: path,
      status: "ready",
      row_count: 344,
      size_bytes: penguins.length,
      sha256: await sha256(penguins),
    });
    // Registered files are immutable: the owner can no longer overwrite or delete the object.
    await expect(
      h.deps.storage.forUser(user.token).upload("datasets", path, csvBytes(SMALL_CSV), { upsert: true }),
    ).rejects.toThrow();
    expect(await h.deps.storage.forUser(user.token).remove("datasets", [path])).toEqual([]);
    // Registering it again is a conflict, not a second row.
    const again = await register(h, user, { path });
    expect(again.status).toBe(409);
    expect(await datasetRowsOf(h, user.id)).toHaveLength(1);
  });

  it("registers a broken file as invalid with the error's row", async () => {
    const user = await h.user();
    const path = `${user.id}/ragged.csv`;
    await putObject(h, user, path, csvBytes("x,y,z\n1,2,3\n4,5\n"));
    const res = await register(h, user, { path });
    expect(res.status, res.text).toBe(201);
    expect(dataOf(res)).toMatchObject({
      name: "ragged.csv",
      status: "invalid",
      error: { code: "RAGGED_ROW" },
    });
    expect(dataOf(res).error?.details.row).toBe(2);
  });

  it("leaves a file overwritten while it was read to the validation job, without its hash or profile", async () => {
    const racing = await createHarness({ storage: racingStorage });
    try {
      const user = await racing.user();
      const path = `${user.id}/race.csv`;
      await putObject(racing, user, path, penguins);
      const res = await register(racing, user, { path });
      expect(res.status, res.text).toBe(201);
      expect(dataOf(res)).toMatchObject({ status: "uploaded", sha256: null, profile: null });
      // What is stored now (and immutable) is the overwrite, and the row's size says so.
      const stored = await racing.deps.storage.asServiceRole("test: read back").download("datasets", path);
      expect(dataOf(res).size_bytes).toBe(stored.length);
      expect(stored.length).not.toBe(penguins.length);
    } finally {
      await racing.close();
    }
  });

  it("refuses another user's folder with 403 and writes nothing", async () => {
    const owner = await h.user();
    const intruder = await h.user();
    const path = `${owner.id}/mine.csv`;
    await putObject(h, owner, path, csvBytes(SMALL_CSV));
    const res = await register(h, intruder, { path });
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe("FORBIDDEN");
    expect(await datasetRowsOf(h, owner.id)).toEqual([]);
    expect(await datasetRowsOf(h, intruder.id)).toEqual([]);
    // A path that escapes the folder is refused at the boundary.
    const escape = await register(h, intruder, { path: `${intruder.id}/../${owner.id}/mine.csv` });
    expect(escape.status).toBe(400);
    expect(escape.body.error?.details.problems).toEqual([expect.objectContaining({ path: "path" })]);
  });

  it("answers 404 for a file that is not in Storage, and 400 for a body without a path", async () => {
    const user = await h.user();
    const missing = await register(h, user, { path: `${user.id}/nothing-here.csv` });
    expect(missing.status).toBe(404);
    expect(missing.body.error?.code).toBe("NOT_FOUND");
    const bad = await register(h, user, { name: "x" });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.details.problems).toEqual([expect.objectContaining({ path: "path" })]);
  });

  it("authorisation matrix", async () => {
    await runMatrix(h, {
      arrange: async (hh, owner) => {
        const path = `${owner.id}/${crypto.randomUUID()}.csv`;
        await putObject(hh, owner, path, csvBytes(SMALL_CSV));
        return path;
      },
      act: (hh, caller, path) => register(hh, caller, { path }),
      // The path names the owner's folder: nobody else may register it, admins included.
      expect: { anon: 401, owner: 201, other: 403, disabled: 403, admin: 403 },
      check: (res, _who, path) => expect(dataOf(res)).toMatchObject({ storage_path: path, status: "ready" }),
    });
  });
});

describe("GET /upload/datasets", () => {
  it("pages the caller's datasets newest first, filters by status and leaves out the profile", async () => {
    const user = await h.user();
    const ids: string[] = [];
    for (const [i, text] of [SMALL_CSV, "a,b\n1\n", SMALL_CSV].entries()) {
      ids.push(dataOf(await upload(h, user, csvBytes(text), `f${i}.csv`)).id);
    }
    const first = await h.call("/upload/datasets?page=1&page_size=2", { token: user.token });
    expect(first.status).toBe(200);
    const page1 = first.body.data as { items: Record<string, unknown>[]; total: number; page_size: number };
    expect(page1).toMatchObject({ page: 1, page_size: 2, total: 3 });
    expect(page1.items.map((d) => d.id)).toEqual([ids[2], ids[1]]);
    expect(page1.items[0]).not.toHaveProperty("profile");
    expect(page1.items[0]).not.toHaveProperty("column_metadata");
    const page2 = (await h.call("/upload/datasets?page=2&page_size=2", { token: user.token })).body.data as {
      items: { id: string }[];
    };
    expect(page2.items.map((d) => d.id)).toEqual([ids[0]]);
    const invalid = (await h.call("/upload/datasets?status=invalid", { token: user.token })).body.data as {
      items: { id: string; status: string }[];
      total: number;
    };
    expect(invalid.total).toBe(1);
    expect(invalid.items).toEqual([expect.objectContaining({ id: ids[1], status: "invalid" })]);
  });

  it("refuses a bad page size or status with 400 and the path", async () => {
    const user = await h.user();
    const res = await h.call("/upload/datasets?page_size=0&status=lost", { token: user.token });
    expect(res.status).toBe(400);
    const paths = (res.body.error?.details.problems as { path: string }[]).map((p) => p.path).sort();
    expect(paths).toEqual(["page_size", "status"]);
  });

  it("authorisation matrix", async () => {
    await runMatrix(h, {
      arrange: async (hh, owner) => createDataset(hh.su, owner.id),
      act: (hh, caller) => hh.call("/upload/datasets", { token: caller?.token ?? null }),
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
      // Everyone lists their own: the owner sees the dataset, nobody else does (admins included).
      check: (res, who, id) => {
        const items = (res.body.data as { items: { id: string }[] }).items.map((d) => d.id);
        if (who === "owner") expect(items).toEqual([id]);
        else expect(items).not.toContain(id);
      },
    });
  });
});

describe("GET /upload/datasets/{id}", () => {
  it("answers the dataset with profile and column metadata, 404 for an unknown id, 400 for a non-uuid", async () => {
    const user = await h.user();
    const id = dataOf(await upload(h, user, penguins, "penguins.csv")).id;
    const res = await h.call(`/upload/datasets/${id}`, { token: user.token });
    expect(res.status).toBe(200);
    expect(dataOf(res).profile?.columns).toBe(8);
    expect(dataOf(res).column_metadata?.columns).toHaveLength(8);
    const unknown = await h.call(`/upload/datasets/${crypto.randomUUID()}`, { token: user.token });
    expect(unknown.status).toBe(404);
    const bad = await h.call("/upload/datasets/not-a-uuid", { token: user.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.details.problems).toEqual([expect.objectContaining({ path: "id" })]);
  });

  it("authorisation matrix", async () => {
    await runMatrix(h, {
      arrange: async (hh, owner) => createDataset(hh.su, owner.id),
      act: (hh, caller, id) => hh.call(`/upload/datasets/${id}`, { token: caller?.token ?? null }),
      // Admins read every dataset (the select policy says so); another user never learns it exists.
      expect: { anon: 401, owner: 200, other: 404, disabled: 403, admin: 200 },
      check: (res, _who, id) => expect(dataOf(res).id).toBe(id),
    });
  });
});

describe("DELETE /upload/datasets/{id}", () => {
  it("removes the row, then the file", async () => {
    const user = await h.user();
    const d = dataOf(await upload(h, user, csvBytes(SMALL_CSV), "gone.csv"));
    expect(await objectsOf(h, user.id)).toEqual([d.storage_path]);
    const res = await h.call(`/upload/datasets/${d.id}`, { method: "DELETE", token: user.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toEqual({
      id: d.id,
      dataset_deleted: true,
      objects_removed: [d.storage_path],
      objects_left: [],
    });
    expect(await datasetRowsOf(h, user.id)).toEqual([]);
    expect(await objectsOf(h, user.id)).toEqual([]);
    expect(await h.deps.storage.forUser(user.token).info("datasets", d.storage_path)).toBeNull();
    const again = await h.call(`/upload/datasets/${d.id}`, { method: "DELETE", token: user.token });
    expect(again.status).toBe(404);
  });

  it("refuses a dataset with an active generation request with 409, keeping row and file", async () => {
    const user = await h.user();
    const d = dataOf(await upload(h, user, csvBytes(SMALL_CSV), "busy.csv"));
    await createGeneration(h.su, user.id, d.id);
    const res = await h.call(`/upload/datasets/${d.id}`, { method: "DELETE", token: user.token });
    expect(res.status).toBe(409);
    expect(res.body.error?.code).toBe("CONFLICT");
    expect(res.body.error?.message).toMatch(/active jobs/);
    expect(await datasetRowsOf(h, user.id)).toHaveLength(1);
    expect(await objectsOf(h, user.id)).toEqual([d.storage_path]);
  });

  it("authorisation matrix", async () => {
    await runMatrix(h, {
      arrange: async (hh, owner) => dataOf(await upload(hh, owner, csvBytes(SMALL_CSV), "del.csv")),
      act: (hh, caller, d) =>
        hh.call(`/upload/datasets/${d.id}`, { method: "DELETE", token: caller?.token ?? null }),
      // Admins may read a dataset but only its owner deletes it (the delete policy is the owner's).
      expect: { anon: 401, owner: 200, other: 404, disabled: 403, admin: 403 },
      check: async (res, _who, d) => {
        expect(res.body.data).toMatchObject({ id: d.id, objects_removed: [d.storage_path] });
        expect(await h.su`select 1 from public.datasets where id = ${d.id}`).toHaveLength(0);
      },
    });
  });
});
