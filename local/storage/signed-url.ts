import { compactVerify, SignJWT } from "jose";
import { z } from "zod";
import { synthError } from "../../shared/errors.ts";
import { encodeObjectPath } from "../../shared/platform/storage.ts";

/**
 * Signed download URLs as Supabase Storage makes them (protocols 2.3): an HS256 JWT with the project's JWT
 * secret over `{url: "<bucket>/<path>", scope: "download", iat, exp}`, served at
 * `/storage/v1/object/sign/<bucket>/<path>?token=<jwt>`.
 */
const downloadTokenSchema = z.object({
  url: z.string(),
  scope: z.string().optional(),
  exp: z.number(),
});

const keyOf = (secret: string) => new TextEncoder().encode(secret);

export async function signDownloadToken(
  secret: string,
  bucket: string,
  path: string,
  expiresInSeconds: number,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<string> {
  return new SignJWT({ url: `${bucket}/${path}`, scope: "download" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + expiresInSeconds)
    .sign(keyOf(secret));
}

export function signedDownloadUrl(
  publicUrl: string,
  bucket: string,
  path: string,
  token: string,
  download?: string,
): string {
  const base = `${publicUrl.replace(/\/+$/, "")}/storage/v1/object/sign/${bucket}/${encodeObjectPath(path)}`;
  const query = new URLSearchParams({ token });
  if (download !== undefined) query.set("download", download);
  return `${base}?${query.toString()}`;
}

/**
 * Checks a download token in Storage's order: signature, scope, url, expiry. Each refusal carries the
 * Storage error code (`details.storageCode`) the HTTP route answers with.
 */
export async function verifySignedDownload(
  secret: string,
  token: string,
  bucket: string,
  path: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<void> {
  let claims: z.infer<typeof downloadTokenSchema>;
  try {
    const { payload } = await compactVerify(token, keyOf(secret), { algorithms: ["HS256"] });
    claims = downloadTokenSchema.parse(JSON.parse(new TextDecoder().decode(payload)));
  } catch (error) {
    throw synthError(
      "UNAUTHORIZED",
      "The signed URL's token is invalid",
      { storageCode: "InvalidJWT" },
      error,
    );
  }
  // Older servers signed without a scope; Storage still accepts those.
  if (claims.scope !== undefined && claims.scope !== "download") {
    throw synthError("FORBIDDEN", "Token is not scoped for download", { storageCode: "InvalidSignature" });
  }
  if (claims.url !== `${bucket}/${path}`) {
    throw synthError("FORBIDDEN", "The url and the token do not match", { storageCode: "InvalidSignature" });
  }
  if (claims.exp <= nowSeconds) {
    throw synthError("UNAUTHORIZED", "The provided token has expired.", { storageCode: "ExpiredToken" });
  }
}
