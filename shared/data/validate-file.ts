import { isSynthError } from "../errors.ts";
import type { FileFormat } from "./formats.ts";
import { loadTable } from "./load.ts";
import type { TableMetadata } from "./metadata.ts";
import { profileTable, type TableProfile } from "./profile.ts";
import type { DataWarning } from "./warnings.ts";

/** What reading a file found: a table and its profile, or the reason it is not one. */
export type ValidationOutcome =
  | {
      status: "ready";
      rowCount: number;
      columnCount: number;
      metadata: TableMetadata;
      profile: TableProfile & { format: FileFormat; warnings: DataWarning[] };
    }
  | { status: "invalid"; error: { code: string; message: string; details: Record<string, unknown> } };

/** The warnings kept in the profile: enough to show a person, bounded so the row stays small. */
const MAX_WARNINGS = 50;

/**
 * Validates and profiles a file the way `synth inspect` does (loadTable, then profileTable with the
 * reader's missing tokens), so the platform and the CLI describe one file identically: the API's inline
 * validation (functions/routes/upload/registration.ts) and the training runner's validation of files too
 * big for the API (training-runner/execute-dataset.ts) both call this. A file that is not a table is an
 * outcome, not a failure: the dataset records why.
 */
export async function validateFile(
  bytes: Uint8Array,
  fileName: string,
  format: FileFormat,
): Promise<ValidationOutcome> {
  try {
    const loaded = await loadTable(bytes, { fileName, format });
    const profile = profileTable(loaded.table, loaded.metadata, {}, { missingTokens: loaded.missingTokens });
    return {
      status: "ready",
      rowCount: profile.rows,
      columnCount: profile.columns,
      metadata: loaded.metadata,
      profile: { ...profile, format: loaded.format, warnings: loaded.warnings.slice(0, MAX_WARNINGS) },
    };
  } catch (error) {
    if (!isSynthError(error)) throw error;
    return { status: "invalid", error: error.toJSON() };
  }
}

/** Lower-case hex SHA-256 of the file (Web Crypto: native, the same on Node and Deno). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
