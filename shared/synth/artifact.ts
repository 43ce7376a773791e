import { z } from "zod";
import { synthError } from "../errors.ts";
import type { MatrixModelState, WeightTensor } from "./matrix-model.ts";
import { modelKindSchema } from "./models.ts";
import { tableMetadataSchema } from "../data/metadata.ts";
import { Synthesizer } from "./synthesizer.ts";

/**
 * The model artifact: one binary file, data only (no code, no pickles), the same bytes on every runtime.
 *
 *   bytes 0-7    magic "SYNTHMDL"
 *   bytes 8-11   format version, uint32 little-endian (ARTIFACT_VERSION)
 *   bytes 12-15  header length H in bytes, uint32 little-endian
 *   16 .. 16+H   header: UTF-8 JSON (kind, options, transformer or copula state, model config and the
 *                name, shape and offset of every weight tensor), validated with zod on load
 *   padding      zeros up to a multiple of 4 bytes
 *   then         every weight tensor's values as float32 little-endian, concatenated in header order
 *
 * Version 2 adds `rareRows`: keyed 64-bit hashes of the training rows that occur fewer than k times (never
 * the rows), which the privacy guard (privacy-guard.ts) needs at sample time; absent when the model was
 * fitted with the guard off. Version 1 files still load; their samples cannot be guarded (the sample
 * report says "unavailable").
 *
 * Doubles in the header (mixture and copula parameters) survive JSON exactly (shortest round-trip
 * formatting), and weights are stored as the float32 they are, so a loaded model samples the same rows
 * as the saved one for the same seed.
 */
export const ARTIFACT_MAGIC = "SYNTHMDL";
export const ARTIFACT_VERSION = 2;
/** Versions this build reads: 1 (before the privacy guard) and 2. */
export const READABLE_ARTIFACT_VERSIONS: readonly number[] = [1, 2];
const PREFIX = 16;
const MAX_HEADER_BYTES = 256 * 1024 * 1024;

const weightRefSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  /** Offset in float32 elements from the start of the weights section. */
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
});

export const artifactHeaderSchema = z
  .object({
    format: z.literal("synth-model"),
    version: z.union([z.literal(1), z.literal(2)]),
    kind: modelKindSchema,
    createdAt: z.string(),
    columns: z.array(z.string()),
    metadata: tableMetadataSchema,
    options: z.record(z.string(), z.unknown()),
    transformer: z.unknown().optional(),
    copula: z.unknown().optional(),
    model: z
      .object({
        kind: z.enum(["ctgan", "tvae"]),
        config: z.record(z.string(), z.unknown()),
        columns: z.array(z.unknown()),
        extra: z.record(z.string(), z.unknown()),
        weights: z.array(weightRefSchema),
      })
      .optional(),
    /** Version 2: the privacy guard's hashes of rare training rows (RareRowState). */
    rareRows: z.unknown().optional(),
  })
  .strict()
  .refine((h) => h.version >= 2 || h.rareRows === undefined, {
    message: "a version 1 artifact holds no training-row hashes",
  });
export type ArtifactHeader = z.infer<typeof artifactHeaderSchema>;

export function encodeArtifact(synth: Synthesizer, createdAt = new Date()): Uint8Array {
  const state = synth.getState();
  const tensors: WeightTensor[] = state.model?.weights ?? [];
  let offset = 0;
  const refs = tensors.map((t) => {
    const ref = { name: t.name, shape: t.shape, offset, length: t.data.length };
    offset += t.data.length;
    return ref;
  });
  const header: ArtifactHeader = {
    format: "synth-model",
    version: ARTIFACT_VERSION,
    kind: state.kind,
    createdAt: createdAt.toISOString(),
    columns: synth.columns,
    metadata: state.metadata,
    options: state.options,
    ...(state.transformer ? { transformer: state.transformer } : {}),
    ...(state.copula ? { copula: state.copula } : {}),
    ...(state.rareRows ? { rareRows: state.rareRows } : {}),
    ...(state.model
      ? {
          model: {
            kind: state.model.kind,
            config: state.model.config,
            columns: state.model.columns,
            extra: state.model.extra,
            weights: refs,
          },
        }
      : {}),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const weightsStart = PREFIX + json.length + ((4 - (json.length % 4)) % 4);
  const out = new Uint8Array(weightsStart + offset * 4);
  out.set(new TextEncoder().encode(ARTIFACT_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, ARTIFACT_VERSION, true);
  view.setUint32(12, json.length, true);
  out.set(json, PREFIX);
  let at = weightsStart;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i], true);
  }
  return out;
}

function invalid(message: string, details: Record<string, unknown> = {}) {
  return synthError("INVALID_ARTIFACT", message, details);
}

/** Parses and validates the header without restoring the model (for listing or inspection). */
export function readArtifactHeader(bytes: Uint8Array): { header: ArtifactHeader; weightsStart: number } {
  if (bytes.length < PREFIX) throw invalid("the file is too short to be a synth model");
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== ARTIFACT_MAGIC) {
    throw invalid("the file is not a synth model (wrong magic bytes)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (!READABLE_ARTIFACT_VERSIONS.includes(version)) {
    throw invalid(
      `unsupported model format version ${version} (this build reads ${READABLE_ARTIFACT_VERSIONS.join(" and ")})`,
      { version },
    );
  }
  const length = view.getUint32(12, true);
  if (length > MAX_HEADER_BYTES || PREFIX + length > bytes.length) {
    throw invalid("the model header is truncated or too large", { headerBytes: length });
  }
  let json: unknown;
  try {
    json = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + length)),
    );
  } catch (error) {
    throw synthError("INVALID_ARTIFACT", "the model header is not valid JSON", {}, error);
  }
  const parsed = artifactHeaderSchema.safeParse(json);
  if (parsed.success && parsed.data.version !== version) {
    throw invalid("the model header's version does not match the file's", { version });
  }
  if (!parsed.success)
    throw invalid("the model header is invalid", { issues: parsed.error.issues.slice(0, 5) });
  return { header: parsed.data, weightsStart: PREFIX + length + ((4 - (length % 4)) % 4) };
}

export function decodeArtifact(bytes: Uint8Array): Synthesizer {
  const { header, weightsStart } = readArtifactHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let model: MatrixModelState | undefined;
  if (header.model) {
    const available = (bytes.length - weightsStart) / 4;
    const weights = header.model.weights.map((ref): WeightTensor => {
      const expected = ref.shape.reduce((a, b) => a * b, 1);
      if (expected !== ref.length || ref.offset + ref.length > available) {
        throw invalid(`weight ${ref.name} does not fit its shape or the file`, { weight: ref.name });
      }
      const data = new Float32Array(ref.length);
      const base = weightsStart + ref.offset * 4;
      for (let i = 0; i < ref.length; i++) data[i] = view.getFloat32(base + i * 4, true);
      return { name: ref.name, shape: ref.shape, data };
    });
    model = {
      kind: header.model.kind,
      config: header.model.config,
      columns: header.model.columns as MatrixModelState["columns"],
      extra: header.model.extra,
      weights,
    };
  }
  const synth = Synthesizer.fromParts(header.kind, header.metadata, header.options, {
    transformer: header.transformer,
    copula: header.copula,
    model,
    rareRows: header.rareRows,
  });
  const columns = synth.columns;
  if (columns.length !== header.columns.length || columns.some((c, i) => c !== header.columns[i])) {
    throw invalid("the model header's columns do not match its state");
  }
  return synth;
}
