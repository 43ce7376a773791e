import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { isSynthError } from "../../shared/errors.ts";
import { signDownloadToken, verifySignedDownload } from "../../local/storage/signed-url.ts";
import { TEST_JWT_SECRET } from "./tokens.ts";

const now = 1_800_000_000;
const sign = (payload: Record<string, unknown>, secret = TEST_JWT_SECRET) =>
  new SignJWT(payload).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(secret));

async function refusal(token: string, path = "u/a.csv"): Promise<[string, unknown]> {
  try {
    await verifySignedDownload(TEST_JWT_SECRET, token, "datasets", path, now);
  } catch (error) {
    if (isSynthError(error)) return [error.code, error.details.storageCode];
    throw error;
  }
  return ["ok", null];
}

describe("signed download tokens", () => {
  it("carries exactly Storage's payload", async () => {
    const token = await signDownloadToken(TEST_JWT_SECRET, "datasets", "u/a.csv", 60, now);
    const payload = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
    expect(payload).toEqual({ url: "datasets/u/a.csv", scope: "download", iat: now, exp: now + 60 });
    expect(await refusal(token)).toEqual(["ok", null]);
  });

  it("checks signature, then scope, then url, then expiry", async () => {
    const expired = { url: "datasets/other.csv", scope: "upload", iat: now - 100, exp: now - 10 };
    expect(await refusal(await sign(expired, "another-secret-that-is-also-32-characters-long"))).toEqual([
      "UNAUTHORIZED",
      "InvalidJWT",
    ]);
    expect(await refusal(await sign(expired))).toEqual(["FORBIDDEN", "InvalidSignature"]);
    expect(await refusal(await sign({ ...expired, scope: "download" }))).toEqual([
      "FORBIDDEN",
      "InvalidSignature",
    ]);
    expect(await refusal(await sign({ ...expired, scope: "download", url: "datasets/u/a.csv" }))).toEqual([
      "UNAUTHORIZED",
      "ExpiredToken",
    ]);
    expect(await refusal(await sign({ url: "datasets/u/a.csv", exp: now + 5 }))).toEqual(["ok", null]);
    expect(await refusal("not.a.jwt")).toEqual(["UNAUTHORIZED", "InvalidJWT"]);
  });
});
