import { open, stat } from "node:fs/promises";
import { basename } from "node:path";
import { synthError } from "../shared/errors.ts";
import { limitsFromMegabytes, MAX_FILE_SIZE_MB, type DataLimits } from "../shared/data/limits.ts";
import { loadTable, type LoadedTable } from "../shared/data/load.ts";
import type { TableMetadata } from "../shared/data/metadata.ts";
import { parseMetadataJson } from "../shared/data/sdv-metadata.ts";

/** Metadata files are small; a bigger one is a mistake (or an attack), not metadata. */
const METADATA_MAX_MB = 16;

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

/**
 * Metadata from a file: ours, SDV's single-table metadata, or a shared dataset's .meta.json
 * (`column_types` with numerical / categorical / datetime / id), whichever the file is.
 */
export async function readMetadataFile(path: string): Promise<TableMetadata> {
  const text = new TextDecoder().decode(await readDataFile(path, limitsFromMegabytes(METADATA_MAX_MB)));
  let json: { column_types?: Record<string, string> };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (cause) {
    throw synthError("INVALID_METADATA", `metadata file ${path} is not JSON`, { path }, cause);
  }
  if (json && typeof json === "object" && json.column_types && typeof json.column_types === "object") {
    return parseMetadataJson(
      JSON.stringify({
        columns: Object.entries(json.column_types).map(([name, sdtype]) => ({ name, sdtype })),
      }),
    );
  }
  return parseMetadataJson(text);
}

/**
 * The one way the CLI reads a table: within the limits of the environment (MAX_FILE_SIZE_MB), typed by the
 * given metadata or by inference, warnings printed to stderr.
 */
export async function loadDataFile(
  path: string,
  options: { metadata?: TableMetadata; limits?: DataLimits } = {},
): Promise<LoadedTable> {
  const limits = options.limits ?? dataLimitsFromEnv();
  const loaded = await loadTable(await readDataFile(path, limits), {
    fileName: basename(path),
    limits,
    ...(options.metadata ? { metadata: options.metadata } : {}),
  });
  for (const w of loaded.warnings) process.stderr.write(`warning ${w.code}: ${w.message}\n`);
  return loaded;
}
