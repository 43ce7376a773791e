import { Inflate } from "fflate";
import { synthError } from "../errors.ts";
import type { DataLimits } from "./limits.ts";

export interface ZipEntry {
  name: string;
  /** The first bytes of the inflated entry (up to 64 KiB), for cheap checks before a full parse. */
  head?: Uint8Array;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  dataStart: number;
}

const u16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number): number =>
  (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

const corrupt = (message: string, details: Record<string, unknown> = {}): never => {
  throw synthError("CORRUPT_FILE", `the zip container is damaged: ${message}`, details);
};

/** The central directory (APPNOTE 4.3.12), read without decompressing anything; ZIP64 is refused. */
export function listZipEntries(bytes: Uint8Array, limits: DataLimits): ZipEntry[] {
  const n = bytes.length;
  let eocd = -1;
  for (let i = n - 22; i >= Math.max(0, n - 22 - 65_535); i--) {
    if (u32(bytes, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) corrupt("no end-of-central-directory record (truncated?)");
  const count = u16(bytes, eocd + 10);
  const cdSize = u32(bytes, eocd + 12);
  const cdOffset = u32(bytes, eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) corrupt("ZIP64 archives are not supported");
  if (count > limits.maxZipEntries) {
    throw synthError("ZIP_BOMB", `the archive has ${count} entries (limit ${limits.maxZipEntries})`, {
      entries: count,
    });
  }
  if (cdOffset + cdSize > eocd) corrupt("the central directory lies outside the file");
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > n || u32(bytes, p) !== 0x02014b50) corrupt("bad central directory entry", { entry: k });
    const flags = u16(bytes, p + 8);
    const method = u16(bytes, p + 10);
    const compressedSize = u32(bytes, p + 20);
    const uncompressedSize = u32(bytes, p + 24);
    const nameLen = u16(bytes, p + 28);
    const extraLen = u16(bytes, p + 30);
    const commentLen = u16(bytes, p + 32);
    const local = u32(bytes, p + 42);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    if (flags & 1) corrupt("encrypted entries are not supported", { entry: name });
    if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff)
      corrupt("ZIP64 entries are not supported");
    if (local + 30 > n || u32(bytes, local) !== 0x04034b50) corrupt("bad local header", { entry: name });
    const dataStart = local + 30 + u16(bytes, local + 26) + u16(bytes, local + 28);
    if (dataStart + compressedSize > n)
      corrupt("an entry runs past the end of the file (truncated?)", { entry: name });
    entries.push({ name, method, compressedSize, uncompressedSize, dataStart });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const DOCTYPE = new TextEncoder().encode("<!doctype");
const ENTITY = new TextEncoder().encode("<!entity");

function containsCaseless(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    if (hay[i] !== 0x3c) continue;
    for (let k = 1; k < needle.length; k++) {
      const c = hay[i + k];
      if ((c >= 0x41 && c <= 0x5a ? c + 32 : c) !== needle[k]) continue outer;
    }
    return true;
  }
  return false;
}

/**
 * Decompresses every entry with a running byte count (declared sizes may lie), stopping at the total and ratio
 * limits, and refuses XML parts with a DOCTYPE or ENTITY declaration (entity expansion, external entities),
 * which no legitimate xlsx part contains. Only then may a library parse the archive.
 */
export function guardZip(bytes: Uint8Array, limits: DataLimits): ZipEntry[] {
  const entries = listZipEntries(bytes, limits);
  let total = 0;
  for (const e of entries) {
    if (e.method !== 0 && e.method !== 8)
      corrupt(`unsupported compression method ${e.method}`, { entry: e.name });
    const cap = Math.min(
      limits.maxUncompressedBytes - total,
      e.compressedSize * limits.maxCompressionRatio + 1_048_576,
    );
    const declared = e.uncompressedSize;
    if (declared > cap) {
      throw synthError("ZIP_BOMB", `the archive entry ${e.name} expands beyond the allowed size`, {
        entry: e.name,
        declaredBytes: declared,
        compressedBytes: e.compressedSize,
      });
    }
    const isXml = /\.(xml|rels|vml)$/i.test(e.name);
    let produced = 0;
    const head = new Uint8Array(Math.min(65_536, Math.max(0, e.uncompressedSize) || 65_536));
    let headUsed = 0;
    let tail = new Uint8Array(0);
    const check = (chunk: Uint8Array): void => {
      if (headUsed < head.length) {
        const take = Math.min(head.length - headUsed, chunk.length);
        head.set(chunk.subarray(0, take), headUsed);
        headUsed += take;
      }
      produced += chunk.length;
      if (produced > cap) {
        throw synthError("ZIP_BOMB", `the archive entry ${e.name} expands beyond the allowed size`, {
          entry: e.name,
          compressedBytes: e.compressedSize,
          maxUncompressedBytes: limits.maxUncompressedBytes,
          maxCompressionRatio: limits.maxCompressionRatio,
        });
      }
      if (isXml) {
        const window = new Uint8Array(tail.length + chunk.length);
        window.set(tail);
        window.set(chunk, tail.length);
        if (containsCaseless(window, DOCTYPE) || containsCaseless(window, ENTITY)) {
          throw synthError(
            "CORRUPT_FILE",
            `the workbook part ${e.name} declares a DOCTYPE or entities, which xlsx never needs`,
            {
              entry: e.name,
              reason: "xml_dtd",
            },
          );
        }
        tail = window.slice(Math.max(0, window.length - 16));
      }
    };
    const data = bytes.subarray(e.dataStart, e.dataStart + e.compressedSize);
    if (e.method === 0) check(data);
    else {
      const inflate = new Inflate((chunk) => check(chunk));
      try {
        const step = 65_536;
        for (let o = 0; o < data.length; o += step) {
          inflate.push(data.subarray(o, Math.min(data.length, o + step)), o + step >= data.length);
        }
      } catch (error) {
        if (error instanceof Error && error.name === "SynthError") throw error;
        corrupt(`entry ${e.name} does not decompress (${(error as Error).message})`, { entry: e.name });
      }
    }
    total += produced;
    e.head = head.subarray(0, headUsed);
  }
  return entries;
}
