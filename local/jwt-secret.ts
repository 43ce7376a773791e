import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { synthError } from "../shared/errors.ts";

/**
 * The local platform's JWT secret: SUPABASE_JWT_SECRET when given, else one generated once and kept in the
 * data directory (mode 0600), so tokens and signed URLs survive a restart and no secret is ever printed
 * or committed.
 */
export async function loadOrCreateJwtSecret(dataDir: string, fromEnv?: string): Promise<string> {
  if (fromEnv !== undefined && fromEnv !== "") {
    if (fromEnv.length < 32)
      throw synthError("CONFIG_ERROR", "SUPABASE_JWT_SECRET must be at least 32 characters");
    return fromEnv;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, "jwt-secret");
  try {
    const existing = (await readFile(file, "utf8")).trim();
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const secret = randomBytes(48).toString("base64url");
  // wx: two processes starting at once never overwrite each other's secret.
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return (await readFile(file, "utf8")).trim();
    throw error;
  }
  await chmod(file, 0o600);
  return secret;
}
