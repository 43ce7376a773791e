import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSynthError, type ErrorCode } from "../../shared/errors.ts";
import type { BlobStore, Bucket, StoragePort } from "../../shared/platform/storage.ts";
import { createUser, openDb, type DbFixture, type TestUser } from "../db/fixtures.ts";
import { accessToken, apiKey } from "./tokens.ts";

/** What an adapter under test brings: the port, a credential-free GET for signed URLs, its byte root. */
export interface StorageHarness {
  storage: StoragePort;
  fetchSigned(url: string): Promise<Response>;
  /** The directory the bytes end up in (the disk store's root, also behind the HTTP stand-in). */
  root: string;
  close(): Promise<void>;
}

/** Deterministic bytes covering every byte value, so encodings that mangle binary are caught. */
export function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = i < 256 ? i : state >>> 24;
  }
  return out;
}

async function codeOf(promise: Promise<unknown>): Promise<ErrorCode | "ok"> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (isSynthError(error)) return error.code;
    throw error;
  }
}

/** Every file below root, relative to it. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)));
}

export function runStorageContract(
  name: string,
  makeAdapter: (fx: DbFixture) => Promise<StorageHarness>,
): void {
  describe(`storage contract: ${name}`, () => {
    let fx: DbFixture;
    let harness: StorageHarness;
    let alice: TestUser;
    let bob: TestUser;
    let asAlice: BlobStore;
    let asBob: BlobStore;
    let service: BlobStore;

    beforeAll(async () => {
      fx = openDb();
      harness = await makeAdapter(fx);
      alice = await createUser(fx.su);
      bob = await createUser(fx.su);
      asAlice = harness.storage.forUser(await accessToken(alice));
      asBob = harness.storage.forUser(await accessToken(bob));
      service = harness.storage.asServiceRole("storage contract: runner writes results");
    });
    afterAll(async () => {
      await harness?.close();
      await fx?.close();
    });

    const rowsNamed = async (bucket: Bucket, path: string) =>
      fx.su<{ owner_id: string | null; metadata: Record<string, unknown> }[]>`
        select owner_id, metadata from storage.objects where bucket_id = ${bucket} and name = ${path}`;

    it("lets a user upload to their own folder and download identical bytes", async () => {
      const path = `${alice.id}/people.csv`;
      const bytes = seededBytes(4096, 1);
      const uploaded = await asAlice.upload("datasets", path, bytes, { contentType: "text/csv" });
      expect(uploaded).toMatchObject({ path, size: 4096, contentType: "text/csv" });
      expect(await asAlice.download("datasets", path)).toEqual(bytes);
      expect(await asAlice.info("datasets", path)).toMatchObject({
        path,
        size: 4096,
        contentType: "text/csv",
      });
      const [row] = await rowsNamed("datasets", path);
      expect(row.owner_id).toBe(alice.id);
      expect(Object.keys(row.metadata).sort()).toEqual(
        ["cacheControl", "contentLength", "eTag", "lastModified", "mimetype", "size"].sort(),
      );
      expect(row.metadata).toMatchObject({ size: 4096, mimetype: "text/csv", contentLength: 4096 });
    });

    it("refuses an upload into another user's folder and leaves no row and no file", async () => {
      const before = await filesUnder(harness.root);
      const path = `${bob.id}/planted.csv`;
      expect(
        await codeOf(asAlice.upload("datasets", path, seededBytes(10, 2), { contentType: "text/csv" })),
      ).toBe("FORBIDDEN");
      expect(await codeOf(asAlice.upload("datasets", path, seededBytes(10, 2), { upsert: true }))).toBe(
        "FORBIDDEN",
      );
      expect(await rowsNamed("datasets", path)).toHaveLength(0);
      expect(await filesUnder(harness.root)).toEqual(before);
    });

    it("answers CONFLICT for a duplicate without upsert, and overwrites with upsert", async () => {
      const path = `${alice.id}/dup.csv`;
      const first = seededBytes(300, 3);
      const second = seededBytes(500, 4);
      await asAlice.upload("datasets", path, first, { contentType: "text/csv" });
      const files = (await filesUnder(harness.root)).length;
      expect(await codeOf(asAlice.upload("datasets", path, second, { contentType: "text/csv" }))).toBe(
        "CONFLICT",
      );
      expect(await asAlice.download("datasets", path)).toEqual(first);
      expect((await filesUnder(harness.root)).length).toBe(files);

      await asAlice.upload("datasets", path, second, { contentType: "text/plain", upsert: true });
      expect(await asAlice.download("datasets", path)).toEqual(second);
      expect(await asAlice.info("datasets", path)).toMatchObject({ size: 500, contentType: "text/plain" });
      // The replaced bytes are gone, not left behind beside the new ones.
      expect((await filesUnder(harness.root)).length).toBe(files);
    });

    it("lets exactly one of two racing uploads create an object, and leaves one file per object", async () => {
      const path = `${alice.id}/race.csv`;
      const bodies = [seededBytes(700, 21), seededBytes(900, 22)];
      const results = await Promise.allSettled(bodies.map((b) => asAlice.upload("datasets", path, b)));
      const won = results.findIndex((r) => r.status === "fulfilled");
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const lost = results[1 - won];
      expect(lost.status === "rejected" && isSynthError(lost.reason, "CONFLICT")).toBe(true);
      expect(await asAlice.download("datasets", path)).toEqual(bodies[won]);

      const before = (await filesUnder(harness.root)).length;
      const upserts = [seededBytes(40, 23), seededBytes(50, 24), seededBytes(60, 25)];
      await Promise.all(upserts.map((b) => asAlice.upload("datasets", path, b, { upsert: true })));
      const final = await asAlice.download("datasets", path);
      expect(upserts.some((b) => b.length === final.length && b.every((v, i) => v === final[i]))).toBe(true);
      expect((await filesUnder(harness.root)).length).toBe(before);
    });

    it("hides an object from another user, who can neither read, list nor remove it", async () => {
      const path = `${alice.id}/private/secret.csv`;
      const bytes = seededBytes(64, 5);
      await asAlice.upload("datasets", path, bytes, { contentType: "text/csv" });
      expect(await codeOf(asBob.download("datasets", path))).toBe("NOT_FOUND");
      expect(await asBob.info("datasets", path)).toBeNull();
      expect(await asBob.list("datasets", `${alice.id}/private`)).toEqual([]);
      expect(await asBob.remove("datasets", [path])).toEqual([]);
      expect(await codeOf(asBob.createSignedUrl("datasets", path, 60))).toBe("NOT_FOUND");
      expect(await asAlice.download("datasets", path)).toEqual(bytes);
      expect(await rowsNamed("datasets", path)).toHaveLength(1);
    });

    it("keeps users out of the result buckets, which only the service role writes and the owner reads", async () => {
      for (const bucket of ["synthetic", "models", "reports"] as const) {
        const path = `${alice.id}/job-1/${bucket}.bin`;
        const bytes = seededBytes(128, bucket.length);
        expect(await codeOf(asAlice.upload(bucket, path, bytes))).toBe("FORBIDDEN");
        expect(await rowsNamed(bucket, path)).toHaveLength(0);

        await service.upload(bucket, path, bytes);
        expect(await asAlice.download(bucket, path)).toEqual(bytes);
        expect(await codeOf(asAlice.upload(bucket, path, seededBytes(8, 9), { upsert: true }))).toBe(
          "FORBIDDEN",
        );
        expect(await asAlice.download(bucket, path)).toEqual(bytes);
        expect(await codeOf(asBob.download(bucket, path))).toBe("NOT_FOUND");
        expect((await rowsNamed(bucket, path))[0].owner_id).toBeNull();
      }
      // The owner may delete their results (the delete policy covers every synth bucket).
      const path = `${alice.id}/job-1/reports.bin`;
      expect(await asAlice.remove("reports", [path])).toEqual([path]);
      expect(await asAlice.info("reports", path)).toBeNull();
      expect(await service.info("reports", path)).toBeNull();
    });

    it("refuses a content type the bucket does not allow", async () => {
      const path = `${alice.id}/picture.png`;
      expect(
        await codeOf(asAlice.upload("datasets", path, seededBytes(16, 6), { contentType: "image/png" })),
      ).toBe("UNSUPPORTED_FORMAT");
      expect(await rowsNamed("datasets", path)).toHaveLength(0);
    });

    it("serves a signed URL without credentials and refuses tampered, misplaced and expired tokens", async () => {
      const path = `${alice.id}/signed dir/report 1.csv`;
      const other = `${alice.id}/signed dir/other.csv`;
      const bytes = seededBytes(1000, 7);
      await asAlice.upload("datasets", path, bytes, { contentType: "text/csv" });
      await asAlice.upload("datasets", other, seededBytes(10, 8), { contentType: "text/csv" });

      const url = await asAlice.createSignedUrl("datasets", path, 60);
      expect(url).toMatch(/^https?:\/\/[^/]+\/storage\/v1\/object\/sign\/datasets\//);
      const response = await harness.fetchSigned(url);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/csv");
      expect(response.headers.get("content-disposition")).toBeNull();
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);

      const named = await harness.fetchSigned(
        await asAlice.createSignedUrl("datasets", path, 60, { download: "r.csv" }),
      );
      expect(named.headers.get("content-disposition")).toMatch(/^attachment/);
      expect(new Uint8Array(await named.arrayBuffer())).toEqual(bytes);

      const refusal = async (target: string) => {
        const res = await harness.fetchSigned(target);
        expect(res.status).toBe(400);
        return (await res.json()) as { statusCode: string; code: string; error: string; message: string };
      };
      const token = new URL(url).searchParams.get("token") as string;
      const [head, payload, signature] = token.split(".");
      const flipped = `${signature.slice(0, 5)}${signature[5] === "A" ? "B" : "A"}${signature.slice(6)}`;
      const tampered = url.replace(token, `${head}.${payload}.${flipped}`);
      expect(await refusal(tampered)).toMatchObject({ statusCode: "400", code: "InvalidJWT" });
      const otherUrl = await asAlice.createSignedUrl("datasets", other, 60);
      const misplaced = otherUrl.replace(new URL(otherUrl).searchParams.get("token") as string, token);
      expect(await refusal(misplaced)).toMatchObject({ statusCode: "400", code: "InvalidSignature" });

      const shortLived = await asAlice.createSignedUrl("datasets", path, 1);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect(await refusal(shortLived)).toMatchObject({ statusCode: "400", code: "ExpiredToken" });
    });

    it("lists recursively below a folder, up to the limit", async () => {
      const base = `${alice.id}/tree`;
      const names = [`${base}/a.csv`, `${base}/b/c.csv`, `${base}/b/d/e.csv`, `${base}/b/d/f.csv`];
      for (const [i, path] of names.entries()) await asAlice.upload("datasets", path, seededBytes(10 + i, i));
      await asAlice.upload("datasets", `${alice.id}/tree-sibling.csv`, seededBytes(3, 3));

      const listed = await asAlice.list("datasets", base);
      expect(listed.map((o) => o.path)).toEqual(names);
      expect(listed.map((o) => o.size)).toEqual([10, 11, 12, 13]);
      expect((await asAlice.list("datasets", `${base}/`)).map((o) => o.path)).toEqual(names);
      expect((await asAlice.list("datasets", `${base}/b/d`)).map((o) => o.path)).toEqual(names.slice(2));
      expect(await asAlice.list("datasets", base, 2)).toHaveLength(2);
      expect((await service.list("datasets", base)).map((o) => o.path)).toEqual(names);
    });

    it("never lets a hostile key write outside the root", async () => {
      const hostile = [
        "../../etc/passwd",
        `${alice.id}/../../etc/passwd`,
        `${alice.id}/../${bob.id}/x.csv`,
        `${alice.id}//x.csv`,
        `${alice.id}/./x.csv`,
        `/${alice.id}/x.csv`,
        `${alice.id}/x\\..\\..\\y.csv`,
        `${alice.id}/${"a".repeat(1100)}`,
        `${alice.id}/${"b".repeat(300)}.csv`,
        `${alice.id}/nul\u0000.csv`,
        "",
      ];
      for (const path of hostile) {
        expect(await codeOf(asAlice.upload("datasets", path, seededBytes(4, 1))), JSON.stringify(path)).toBe(
          "VALIDATION_ERROR",
        );
        // The bypass of the policies is no bypass of the name rule.
        expect(await codeOf(service.upload("synthetic", path, seededBytes(4, 1)))).toBe("VALIDATION_ERROR");
      }
      // Percent signs are just characters: '%2e%2e' names itself, never '..'.
      const encoded = `${alice.id}/a/%2e%2e/x`;
      const bytes = seededBytes(33, 11);
      await asAlice.upload("datasets", encoded, bytes);
      expect(await asAlice.download("datasets", encoded)).toEqual(bytes);
      expect(await asAlice.info("datasets", `${alice.id}/x`)).toBeNull();
      const signed = await harness.fetchSigned(await asAlice.createSignedUrl("datasets", encoded, 60));
      expect(new Uint8Array(await signed.arrayBuffer())).toEqual(bytes);

      expect(
        await fx.su`select name from storage.objects where name like '%etc/passwd%' or name like '%..%' or name = ''`,
      ).toHaveLength(0);
      // Every file is <bucket>/<sha256 hex>/<version uuid>: no key shaped a path.
      const layout = /^(datasets|synthetic|models|reports)\/[0-9a-f]{64}\/[0-9a-f-]{36}$/;
      const files = await filesUnder(harness.root);
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) expect(file).toMatch(layout);
      expect(await readdir(join(harness.root, ".."))).toEqual([harness.root.split("/").pop()]);
    });

    it("keeps a registered dataset's file immutable for its owner", async () => {
      const path = `${alice.id}/registered.csv`;
      const bytes = seededBytes(200, 12);
      await asAlice.upload("datasets", path, bytes, { contentType: "text/csv" });
      await fx.su`insert into public.datasets (owner_id, name, storage_path, format, status)
                  values (${alice.id}, 'registered', ${path}, 'csv', 'ready')`;
      expect(await codeOf(asAlice.upload("datasets", path, seededBytes(5, 1), { upsert: true }))).toBe(
        "FORBIDDEN",
      );
      expect(await asAlice.remove("datasets", [path])).toEqual([]);
      expect(await asAlice.download("datasets", path)).toEqual(bytes);
      // Unregistered names beside it stay writable.
      await asAlice.upload("datasets", `${alice.id}/draft.csv`, seededBytes(5, 1), { upsert: true });
    });

    it("gives the anon key neither reads nor writes", async () => {
      const anon = harness.storage.forUser(await apiKey("anon"));
      expect(await codeOf(anon.download("datasets", `${alice.id}/people.csv`))).toBe("NOT_FOUND");
      expect(await anon.list("datasets", alice.id)).toEqual([]);
      expect(await codeOf(anon.upload("datasets", `${alice.id}/anon.csv`, seededBytes(3, 3)))).toBe(
        "FORBIDDEN",
      );
      expect(await anon.remove("datasets", [`${alice.id}/people.csv`])).toEqual([]);
      expect(await asAlice.info("datasets", `${alice.id}/people.csv`)).not.toBeNull();
    });

    it("refuses a forged access token", async () => {
      const forged = harness.storage.forUser(`${(await accessToken(alice)).slice(0, -4)}AAAA`);
      expect(["UNAUTHORIZED", "FORBIDDEN"]).toContain(
        await codeOf(forged.download("datasets", `${alice.id}/people.csv`)),
      );
      expect(["UNAUTHORIZED", "FORBIDDEN"]).toContain(
        await codeOf(forged.upload("datasets", `${alice.id}/forged.csv`, seededBytes(3, 3))),
      );
      expect(await rowsNamed("datasets", `${alice.id}/forged.csv`)).toHaveLength(0);
    });
  });
}
