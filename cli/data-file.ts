import { open, stat } from "node:fs/promises";
import { synthError } from "../shared/errors.ts";
import { limitsFromMegabytes, MAX_FILE_SIZE_MB, type DataLimits } from "../shared/data/limits.ts";

/**
 * Data limits from the environment, read once by the entrypoint: MAX_FILE_SIZE_MB (default 500) bounds the
 * bytes read; rows, columns and the rest keep their defaults.
 */
export function dataLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): DataLimits {
  const raw = env.MAX_FILE_SIZE_MB;
  if (raw === undefined || raw.trim() === "") return limitsFromMegabytes(MAX_FILE_SIZE_MB);
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb <= 0) {
    throw synthError(
      "CONFIG_ERROR",
      `MAX_FILE_SIZE_MB must be a positive number, not ${JSON.stringify(raw)}`,
    );
  }
  return limitsFromMegabytes(mb);
}

/**
 * A file's bytes, refusing one over the limit before reading it (so a 20 GB file costs a stat, not memory).
 * The result is a view of Node's buffer, not a copy.
 */
export async function readDataFile(path: string, limits: DataLimits): Promise<Uint8Array> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") {
      throw synthError("NOT_FOUND", `file ${path} was not found`, { path }, cause);
    }
    throw cause;
  }
  if (size > limits.maxFileBytes) {
    throw synthError(
      "FILE_TOO_LARGE",
      `the file is larger than the limit of ${Math.round(limits.maxFileBytes / 1048576)} MB`,
      {
        bytes: size,
        maxFileBytes: limits.maxFileBytes,
      },
    );
  }
  const handle = await open(path, "r");
  try {
    const buf = await handle.readFile();
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } finally {
    await handle.close();
  }
}
