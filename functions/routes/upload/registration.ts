import { detectFormat, formatFromFileName, type FileFormat } from "../../../shared/data/formats.ts";
import { forbidden, isSynthError, notFound, synthError } from "../../../shared/errors.ts";
import type { JsonObject } from "../../../shared/platform/column.ts";
import type { Tx } from "../../../shared/platform/db.ts";
import type { Logger } from "../../../shared/platform/logger.ts";
import { asCaller, asService } from "../../context.ts";
import type { AppDeps, VerifiedUser } from "../../deps.ts";
import { toDataset, type Dataset } from "./dataset-shape.ts";
import { sha256Hex, validateFile, type ValidationOutcome } from "./inline-validation.ts";

export interface Registration {
  /** Object name in the datasets bucket, `<uid>/<file>`. */
  path: string;
  name?: string;
  description?: string | null;
  /** The name the user knows the file by (an upload's original name); default: the path's last segment. */
  fileName?: string;
  /** The file's bytes when the API has them already (its own upload): no second download. */
  bytes?: Uint8Array;
}

export interface Registered {
  dataset: Dataset;
  message: string;
}

const lastSegment = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** A file outside the caller's folder is refused before Storage is asked: its existence is not theirs to learn. */
export function assertOwnFolder(user: VerifiedUser, path: string): void {
  if (!path.startsWith(`${user.id}/`) || path.length === user.id.length + 1) {
    throw forbidden("datasets are registered from your own folder: the path must start with your user id", {
      path: path.slice(0, 200),
      expectedPrefix: `${user.id}/`,
    });
  }
}

/**
 * The bytes decide the format when the API has them; a large file is only named (the runner sniffs it),
 * so its name must say what it is. A file that is no table format at all cannot be registered: the row
 * needs a format. A supported format that fails to parse is registered, as invalid.
 */
export function chooseFormat(bytes: Uint8Array | undefined, fileName: string): FileFormat {
  const named = formatFromFileName(fileName);
  if (bytes === undefined) {
    if (named !== undefined) return named;
    throw synthError(
      "UNSUPPORTED_FORMAT",
      "a large file is validated later, so its name must end in .csv, .json, .jsonl, .xlsx or .parquet",
      { fileName },
    );
  }
  try {
    return detectFormat(bytes, fileName);
  } catch (error) {
    if (isSynthError(error) && named !== undefined) return named;
    throw error;
  }
}

/**
 * A jsonb value as postgres.js sends it (objects are serialised as JSON); a round trip through JSON drops
 * what JSON cannot hold (undefined fields, non-finite numbers become null) before the driver sees it.
 */
const asJson = (value: object): JsonObject => JSON.parse(JSON.stringify(value)) as JsonObject;

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}

/**
 * Writes what validation found. Users have no grant on status, profile or counts; the service scope does.
 * The status machine goes uploaded > validating > ready|invalid; when the runner claimed the dataset first
 * (it listens for new uploads), the claim fails and the runner's validation stands.
 */
async function recordValidation(
  tx: Tx,
  id: string,
  sha256: string,
  outcome: ValidationOutcome,
): Promise<boolean> {
  const claimed = await tx
    .updateTable("datasets")
    .set({
      status: "validating",
      sha256,
      // Written with the claim: the metadata guard refuses changes once the row is 'validating'.
      ...(outcome.status === "ready" ? { column_metadata: asJson(outcome.metadata) } : {}),
    })
    .where("id", "=", id)
    .where("status", "=", "uploaded")
    .returning("id")
    .executeTakeFirst();
  if (claimed === undefined) return false;
  await tx
    .updateTable("datasets")
    .set(
      outcome.status === "ready"
        ? {
            status: "ready",
            row_count: outcome.rowCount,
            column_count: outcome.columnCount,
            profile: asJson(outcome.profile),
            error: null,
          }
        : { status: "invalid", error: asJson(outcome.error) },
    )
    .where("id", "=", id)
    .execute();
  return true;
}

/**
 * Registers a file of the caller's folder in the datasets bucket as a dataset: the row is inserted as the
 * caller (RLS and the path constraints decide), then a file up to limits.inlineProfileBytes is validated
 * and profiled here, within the request's CPU budget; a larger one stays 'uploaded' for the runner.
 */
export async function registerDataset(
  deps: AppDeps,
  user: VerifiedUser,
  accessToken: string,
  input: Registration,
  log: Logger = deps.logger,
): Promise<Registered> {
  assertOwnFolder(user, input.path);
  const store = deps.storage.forUser(accessToken);
  // Before the row exists the owner may still overwrite the object; its version (size, time) is noted so
  // bytes read in that window are not recorded as the registered file's.
  const before = input.bytes === undefined ? await store.info("datasets", input.path) : null;
  if (input.bytes === undefined && before === null) throw notFound("the file", { path: input.path });
  const inline = (input.bytes?.length ?? before!.size) <= deps.config.limits.inlineProfileBytes;
  const fileName = input.fileName ?? lastSegment(input.path);
  const bytes = input.bytes ?? (inline ? await store.download("datasets", input.path) : undefined);
  const size = bytes?.length ?? before!.size;
  const format = chooseFormat(bytes, fileName);
  const outcome = bytes !== undefined && inline ? await validateFile(bytes, fileName, format) : null;
  const sha256 = bytes !== undefined ? await sha256Hex(bytes) : null;

  const inserted = await asCaller(deps, user, (tx) =>
    tx
      .insertInto("datasets")
      .values({
        owner_id: user.id,
        name: (input.name ?? fileName).slice(0, 200),
        description: input.description ?? null,
        storage_path: input.path,
        format,
        size_bytes: String(size),
      })
      .returning("id")
      .executeTakeFirstOrThrow(),
  ).catch((error: unknown) => {
    if (isUniqueViolation(error)) {
      throw synthError("CONFLICT", "this file is already registered as a dataset", { path: input.path });
    }
    throw error;
  });

  // Registered, the object is immutable (storage policy): if it is not the version that was read, the
  // runner validates what is there now.
  const after = before === null ? null : await store.info("datasets", input.path);
  const unchanged =
    before === null || (after !== null && after.size === size && after.updatedAt === before.updatedAt);

  let validatedHere = false;
  if (!unchanged) {
    log.log("warn", "a registered file changed while it was read; left to the validation job", {
      dataset_id: inserted.id,
    });
    if (after !== null && after.size !== size) {
      await asService(deps, "dataset-validation", (tx) =>
        tx
          .updateTable("datasets")
          .set({ size_bytes: String(after.size) })
          .where("id", "=", inserted.id)
          .execute(),
      );
    }
  } else if (outcome !== null && sha256 !== null) {
    validatedHere = await asService(deps, "dataset-validation", (tx) =>
      recordValidation(tx, inserted.id, sha256, outcome),
    );
  } else if (sha256 !== null) {
    await asService(deps, "dataset-validation", (tx) =>
      tx
        .updateTable("datasets")
        .set({ sha256 })
        .where("id", "=", inserted.id)
        .where("status", "=", "uploaded")
        .execute(),
    );
  }

  const row = await asCaller(deps, user, (tx) =>
    tx.selectFrom("datasets").selectAll().where("id", "=", inserted.id).executeTakeFirstOrThrow(),
  );
  const dataset = toDataset(row);
  const message = !validatedHere
    ? outcome === null
      ? `the dataset is registered; at ${size} bytes (over ${deps.config.limits.inlineProfileBytes}) it is validated by a background job: status '${dataset.status}' until then`
      : `the dataset is registered; a background job took over its validation (status '${dataset.status}')`
    : dataset.status === "ready"
      ? "the dataset is registered, validated and profiled"
      : `the dataset is registered but the file is not a valid table (${dataset.error?.code ?? "invalid"})`;
  return { dataset, message };
}
