import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * Passwords for auth.users.encrypted_password, hashed with scrypt (no bcrypt library is installed; GoTrue's
 * bcrypt hashes are not produced here). The stored text describes itself, PHC-style:
 * `$scrypt$ln=15,r=8,p=1$<salt base64>$<hash base64>`, so parameters can be raised later and old hashes
 * still verify. N = 2^15, r = 8, p = 1 (32 MiB, tens of milliseconds on one core), 16 random salt bytes per
 * hash, 32-byte key.
 */

const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
// The stored parameters are data: bound them so a crafted row cannot make one verification eat the machine.
const MAX_LOG_N = 20;
const MAX_R = 16;
const MAX_P = 4;

const PATTERN = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number, bytes: number) {
  const N = 2 ** logN;
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r * p + 8 * 1024 * 1024 };
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, bytes, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, LOG_N, R, P, KEY_BYTES);
  return `$scrypt$ln=${LOG_N},r=${R},p=${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/** False for a wrong password and for anything that is not one of our hashes (never throws on bad data). */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const match = PATTERN.exec(stored ?? "");
  if (!match) return false;
  const [logN, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (logN < 10 || logN > MAX_LOG_N || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return false;
  const salt = Buffer.from(match[4], "base64");
  const expected = Buffer.from(match[5], "base64");
  if (expected.length < 16) return false;
  const actual = await derive(password, salt, logN, r, p, expected.length);
  return timingSafeEqual(actual, expected);
}
