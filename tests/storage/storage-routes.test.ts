import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StorageClient } from "@supabase/storage-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDiskStorage } from "../../local/storage/disk-store.ts";
import { storageRoutes } from "../../local/storage/storage-routes.ts";
import { createUser, openDb, type DbFixture, type TestUser } from "../db/fixtures.ts";
import { seededBytes } from "./storage-contract.ts";
import { accessToken, apiKey, TEST_JWT_SECRET, verifyToken } from "./tokens.ts";

/** The local Storage routes on the wire, as storage-js and any other Supabase client see them. */
let fx: DbFixture;
let parent: string;
let app: ReturnType<typeof storageRoutes>;
let alice: TestUser;
let bob: TestUser;
let bearer: string;

const BASE = "http://storage.test/storage/v1";

beforeAll(async () => {
  fx = openDb();
  parent = await mkdtemp(join(tmpdir(), "synth-storage-routes-"));
  await mkdir(join(parent, "blobs"));
  const disk = createDiskStorage({
    root: join(parent, "blobs"),
    db: fx.db,
    verify: verifyToken,
    jwtSecret: TEST_JWT_SECRET,
    publicUrl: "http://storage.test",
  });
  app = storageRoutes(disk);
  alice = await createUser(fx.su);
  bob = await createUser(fx.su);
  bearer = await accessToken(alice);
});
afterAll(async () => {
  await fx?.close();
  await rm(parent, { recursive: true, force: true });
});

const call = (
  method: string,
  url: string,
  init: { body?: BodyInit; headers?: Record<string, string> } = {},
) =>
  app.fetch(
    new Request(`${BASE}${url}`, {
      method,
      body: init.body,
      headers: { authorization: `Bearer ${bearer}`, ...init.headers },
    }),
  );
const upload = (path: string, body: Uint8Array, headers: Record<string, string> = {}) =>
  call("POST", `/object/datasets/${path}`, {
    body: body as Uint8Array<ArrayBuffer>,
    headers: { "content-type": "text/csv", "x-upsert": "false", ...headers },
  });

async function storageError(response: Response) {
  expect(response.status).toBe(400);
  return response.json();
}

describe("local Storage routes", () => {
  it("answers an upload with {Id, Key}", async () => {
    const res = await upload(`${alice.id}/a.csv`, seededBytes(20, 1));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({ Id: expect.stringMatching(/^[0-9a-f-]{36}$/), Key: `datasets/${alice.id}/a.csv` });
  });

  it("renders failures as Storage does: HTTP 400, the real status in statusCode", async () => {
    expect(await storageError(await call("GET", `/object/datasets/${alice.id}/missing.csv`))).toEqual({
      statusCode: "404",
      code: "NoSuchKey",
      error: "not_found",
      message: "Object not found",
    });
    expect(await storageError(await upload(`${bob.id}/x.csv`, seededBytes(3, 1)))).toEqual({
      statusCode: "403",
      code: "AccessDenied",
      error: "Unauthorized",
      message: "new row violates row-level security policy",
    });
    expect(await storageError(await upload(`${alice.id}/a.csv`, seededBytes(3, 1)))).toEqual({
      statusCode: "409",
      code: "ResourceAlreadyExists",
      error: "Duplicate",
      message: "The resource already exists",
    });
    expect(await storageError(await call("GET", `/object/nobucket/${alice.id}/a.csv`))).toMatchObject({
      statusCode: "404",
      code: "NoSuchBucket",
    });
    expect(await storageError(await upload(`${alice.id}/nul%00.csv`, seededBytes(3, 1)))).toMatchObject({
      statusCode: "400",
      code: "InvalidKey",
    });
    const anonymous = await app.fetch(new Request(`${BASE}/object/datasets/${alice.id}/a.csv`));
    expect(await storageError(anonymous)).toMatchObject({ statusCode: "403", code: "AccessDenied" });
  });

  it("sees a '..' segment resolved by URL parsing before it arrives, so the policies judge the result", async () => {
    // '<alice>/%2e%2e/<bob>/x.csv' is '<bob>/x.csv' by the time any server reads it: why adapters refuse
    // dot segments before sending, and why the folder policy must hold whatever the client meant.
    const res = await upload(`${alice.id}/%2e%2e/${bob.id}/x.csv`, seededBytes(3, 1));
    expect(await storageError(res)).toMatchObject({ statusCode: "403", code: "AccessDenied" });
    expect(await fx.su`select 1 from storage.objects where name like ${`${bob.id}/%`}`).toHaveLength(0);
  });

  it("lists one level, with folders as entries whose id is null", async () => {
    await upload(`${alice.id}/l/b.csv`, seededBytes(7, 2));
    await upload(`${alice.id}/l/sub/c.csv`, seededBytes(8, 3));
    const res = await call("POST", "/object/list/datasets", {
      body: JSON.stringify({
        prefix: `${alice.id}/l`,
        limit: 100,
        offset: 0,
        sortBy: { column: "name", order: "asc" },
      }),
      headers: { "content-type": "application/json" },
    });
    const entries = await res.json();
    expect(entries).toEqual([
      {
        name: "b.csv",
        id: expect.any(String),
        updated_at: expect.any(String),
        created_at: expect.any(String),
        last_accessed_at: expect.any(String),
        metadata: expect.objectContaining({ size: 7, mimetype: "text/csv" }),
      },
      { name: "sub", id: null, updated_at: null, created_at: null, last_accessed_at: null, metadata: null },
    ]);
  });

  it("answers a signed URL relative to /storage/v1, as storage-js expects", async () => {
    const res = await call("POST", `/object/sign/datasets/${alice.id}/a.csv`, {
      body: JSON.stringify({ expiresIn: 60 }),
      headers: { "content-type": "application/json" },
    });
    const { signedURL } = (await res.json()) as { signedURL: string };
    expect(signedURL).toMatch(
      new RegExp(`^/object/sign/datasets/${alice.id}/a\\.csv\\?token=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`),
    );
  });

  it("takes storage-js's multipart upload of a Blob and its info call", async () => {
    const fetchApp: typeof fetch = async (input, init) => app.fetch(new Request(input, init));
    const client = new StorageClient(
      BASE,
      { apikey: await apiKey("anon"), Authorization: `Bearer ${bearer}` },
      fetchApp,
    );
    const bytes = seededBytes(300, 4);
    const path = `${alice.id}/blob.json`;
    const { error } = await client
      .from("datasets")
      .upload(path, new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/json" }));
    expect(error).toBeNull();
    const info = await client.from("datasets").info(path);
    expect(info.data).toMatchObject({
      name: path,
      size: 300,
      contentType: "application/json",
      bucketId: "datasets",
    });
    const downloaded = await client.from("datasets").download(path);
    expect(new Uint8Array(await (downloaded.data as Blob).arrayBuffer())).toEqual(bytes);
    expect((await client.from("datasets").exists(`${alice.id}/nope.json`)).data).toBe(false);
  });
});
