import { z } from "zod";
import { synthError } from "../errors.ts";
import { createRng } from "../random.ts";
import type { Cell, Table } from "../data/table.ts";
import { rowCount } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { joinRowKeys } from "../data/row-key.ts";
import { dateText } from "../data/write.ts";
import { encodeNumeric } from "./transformer/column-codec.ts";
import type { ColumnSpec, NumericSpec } from "./transformer/column-codec.ts";

/**
 * The privacy guard: no synthetic row may reproduce a training row that fewer than `minRowCount` real
 * rows share (k = 2: a unique row, one real person). Rows are compared on every learned column (ids, free
 * text and personal-data columns are regenerated, never copied, so they are left out) as they will be
 * written: numbers as their printed value, datetimes as the text the writers produce, categories as text.
 *
 * The synthesizer never keeps the training rows: at fit time it keeps a set of keyed 64-bit hashes of the
 * canonical keys of the rare rows (with their counts when k > 2), and a model artifact stores that set. A
 * holder of the artifact cannot list the rows from it, but can test whether a whole row they already know
 * was a rare training row (so can anyone who can sample the model, less reliably). With the guard off at
 * fit time nothing is kept or stored, and the guard cannot be turned back on for that model.
 */
export const MAX_GUARD_ROUNDS = 10;
export const MAX_MIN_ROW_COUNT = 255;

export const privacyOptionsSchema = z
  .object({
    /** Resample (then drop) synthetic rows equal to a rare training row. On by default. */
    guard: z.boolean().default(true),
    /** A training row occurring fewer than this many times is rare (2: unique rows). */
    minRowCount: z.number().int().min(2).max(MAX_MIN_ROW_COUNT).default(2),
  })
  .strict();
export type PrivacyOptions = z.input<typeof privacyOptionsSchema>;

/** Sample-time overrides of the fitted setting (a lower k than fitted, or the guard off). */
export const samplePrivacySchema = z
  .object({
    guard: z.boolean().optional(),
    minRowCount: z.number().int().min(2).max(MAX_MIN_ROW_COUNT).optional(),
  })
  .strict();

/** What the guard did to one sample, for the report. */
export interface PrivacyGuardReport {
  /** "unavailable": asked for, but the model holds no training-row hashes (an old artifact or fitted off). */
  status: "on" | "off" | "unavailable";
  minRowCount: number | null;
  /** Distinct training rows the guard protects (occurring fewer than minRowCount times). */
  rareTrainingRows: number | null;
  /** Rows that matched a rare training row and were replaced by fresh draws. */
  resampled: number;
  /** Rows still matching after maxRounds rounds: removed, so the sample is this much shorter. */
  dropped: number;
  rounds: number;
  maxRounds: number;
  reason: string | null;
}

const rareRowStateSchema = z
  .object({
    minRowCount: z.number().int().min(2).max(MAX_MIN_ROW_COUNT),
    /** Two 32-bit hash keys, derived from the fit seed. */
    key: z.tuple([z.number().int().min(0).max(0xffffffff), z.number().int().min(0).max(0xffffffff)]),
    /** Columns the keys were built from, in order. */
    columns: z.array(z.string()),
    trainingRows: z.number().int().nonnegative(),
    /** Sorted 64-bit hashes, 8 bytes each big-endian, base64. */
    hashes: z.string(),
    /** With minRowCount > 2: the count (1 .. k-1) of each hash, one byte each, base64. */
    counts: z.string().optional(),
  })
  .strict();
export type RareRowState = z.infer<typeof rareRowStateSchema>;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** MurmurHash3's 32-bit mixing over UTF-16 code units, seeded. */
function hash32(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ text.length);
}

/** Two independently seeded 32-bit lanes as 16 hex digits: collisions among 10^5 rows are ~1e-10 likely. */
function hash64(text: string, key: readonly [number, number]): string {
  return (
    hash32(text, key[0]).toString(16).padStart(8, "0") + hash32(text, key[1]).toString(16).padStart(8, "0")
  );
}

const MISSING = "\u0000";

/**
 * One canonical key per row over the compared columns, or null when no column is compared (a table of
 * ids and text only: nothing learned, nothing to disclose).
 */
export function canonicalRowKeys(
  table: Table,
  specs: ColumnSpec[],
  metadata: TableMetadata,
): string[] | null {
  const n = rowCount(table);
  const tokens: string[][] = [];
  for (const spec of specs) {
    if (spec.kind === "generated") continue;
    const j = table.columns.indexOf(spec.name);
    if (j < 0) throw synthError("INTERNAL_ERROR", `the table lacks column ${spec.name}`);
    tokens.push(columnTokens(table.data[j], spec, metadata));
  }
  if (tokens.length === 0) return null;
  return joinRowKeys(tokens, n);
}

function columnTokens(cells: Cell[], spec: ColumnSpec, metadata: TableMetadata): string[] {
  if (spec.kind === "numeric") {
    const values = numbersOf(spec, cells);
    const meta = metadata.columns.find((c) => c.name === spec.name);
    return Array.from(values, (v) =>
      Number.isNaN(v) ? MISSING : spec.sdtype === "datetime" ? dateText(new Date(v), meta) : String(v),
    );
  }
  return cells.map(categoryToken);
}

/** A cell the codec cannot read back as a number (it writes none) counts as missing: the guard errs towards a match. */
function numbersOf(spec: NumericSpec, cells: Cell[]): Float64Array {
  try {
    return encodeNumeric(spec, cells);
  } catch {
    return Float64Array.from(cells, (cell) => {
      try {
        return encodeNumeric(spec, [cell])[0];
      } catch {
        return NaN;
      }
    });
  }
}

/** As the writers print it: 1 and "1" are one value, a Date its ISO text; missing is its own token. */
function categoryToken(cell: Cell): string {
  if (cell === null || cell === undefined) return MISSING;
  if (cell instanceof Date) return cell.toISOString();
  if (typeof cell === "number" && Number.isNaN(cell)) return MISSING;
  return String(cell);
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch (error) {
    throw synthError("INVALID_ARTIFACT", "the stored training-row hashes are not base64", {}, error);
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The rare training rows, as keyed hashes of their canonical keys (never the rows). */
export class RareRowIndex {
  private constructor(
    readonly minRowCount: number,
    readonly key: [number, number],
    readonly columns: string[],
    readonly trainingRows: number,
    /** hash -> count in the training data (1 .. minRowCount - 1). */
    private readonly counts: Map<string, number>,
  ) {}

  static build(
    table: Table,
    specs: ColumnSpec[],
    metadata: TableMetadata,
    minRowCount: number,
    seed: number,
  ): RareRowIndex {
    // A stream of its own, so the guard does not shift the fit's random numbers.
    const rng = createRng((seed ^ 0x5bd1e995) >>> 0);
    const key: [number, number] = [rng.uint32(), rng.uint32()];
    const columns = specs.filter((s) => s.kind !== "generated").map((s) => s.name);
    const keys = canonicalRowKeys(table, specs, metadata) ?? [];
    const all = new Map<string, number>();
    for (const k of keys) {
      const h = hash64(k, key);
      all.set(h, (all.get(h) ?? 0) + 1);
    }
    const rare = new Map<string, number>();
    for (const [h, c] of all) if (c < minRowCount) rare.set(h, c);
    return new RareRowIndex(minRowCount, key, columns, rowCount(table), rare);
  }

  get size(): number {
    return this.counts.size;
  }

  /** Rows of `table` equal to a training row seen fewer than `minRowCount` times (at most the fitted k). */
  matches(keys: string[], minRowCount: number): boolean[] {
    return keys.map((k) => {
      const c = this.counts.get(hash64(k, this.key));
      return c !== undefined && c < minRowCount;
    });
  }

  get state(): RareRowState {
    const sorted = [...this.counts.keys()].sort();
    const bytes = new Uint8Array(sorted.length * 8);
    const view = new DataView(bytes.buffer);
    sorted.forEach((h, i) => {
      view.setUint32(i * 8, parseInt(h.slice(0, 8), 16));
      view.setUint32(i * 8 + 4, parseInt(h.slice(8), 16));
    });
    const state: RareRowState = {
      minRowCount: this.minRowCount,
      key: this.key,
      columns: this.columns,
      trainingRows: this.trainingRows,
      hashes: toBase64(bytes),
    };
    if (this.minRowCount > 2)
      state.counts = toBase64(Uint8Array.from(sorted, (h) => this.counts.get(h) ?? 1));
    return state;
  }

  static fromState(raw: unknown): RareRowIndex {
    const parsed = rareRowStateSchema.safeParse(raw);
    if (!parsed.success) {
      throw synthError("INVALID_ARTIFACT", "the stored training-row hashes are invalid", {
        issues: parsed.error.issues.slice(0, 5),
      });
    }
    const s = parsed.data;
    const bytes = fromBase64(s.hashes);
    if (bytes.length % 8 !== 0)
      throw synthError("INVALID_ARTIFACT", "the stored training-row hashes are truncated");
    const n = bytes.length / 8;
    const counts = s.counts === undefined ? new Uint8Array(n).fill(1) : fromBase64(s.counts);
    if (counts.length !== n || counts.some((c) => c < 1 || c >= s.minRowCount)) {
      throw synthError("INVALID_ARTIFACT", "the stored training-row counts do not match their hashes");
    }
    const view = new DataView(bytes.buffer);
    const map = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const h =
        view
          .getUint32(i * 8)
          .toString(16)
          .padStart(8, "0") +
        view
          .getUint32(i * 8 + 4)
          .toString(16)
          .padStart(8, "0");
      map.set(h, counts[i]);
    }
    return new RareRowIndex(s.minRowCount, s.key, s.columns, s.trainingRows, map);
  }
}
