import { synthError } from "../errors.ts";

const UTF8_LABELS = new Set(["utf-8", "utf8", "unicode-1-1-utf-8"]);

export interface Utf8Input {
  /** UTF-8 bytes, any byte-order mark removed. */
  bytes: Uint8Array;
  /** The encoding the bytes were converted from, if not UTF-8. */
  convertedFrom?: string;
}

function transcode(bytes: Uint8Array, label: string): Uint8Array {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch (cause) {
    throw synthError(
      "INVALID_ENCODING",
      `unknown text encoding ${JSON.stringify(label)}`,
      { encoding: label },
      cause,
    );
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (cause) {
    throw synthError("INVALID_ENCODING", `the file is not valid ${label}`, { encoding: label }, cause);
  }
  return new TextEncoder().encode(text);
}

/**
 * Text input as UTF-8. UTF-8 is the default and is validated where it is decoded (per field, so a 100 MB file is
 * never held twice); UTF-16 is recognised by its byte-order mark; any other encoding must be declared
 * (e.g. "windows-1252", "latin1"), since guessing a legacy code page silently corrupts text.
 */
export function toUtf8(bytes: Uint8Array, declared?: string): Utf8Input {
  if (declared !== undefined && !UTF8_LABELS.has(declared.trim().toLowerCase())) {
    const label = declared.trim().toLowerCase();
    return { bytes: transcode(bytes, label), convertedFrom: label };
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { bytes: transcode(bytes.subarray(2), "utf-16le"), convertedFrom: "utf-16le" };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { bytes: transcode(bytes.subarray(2), "utf-16be"), convertedFrom: "utf-16be" };
  }
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { bytes: bytes.subarray(3) };
  }
  return { bytes };
}

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes UTF-8 bytes, throwing INVALID_ENCODING (with where) on an invalid sequence. */
export function decodeUtf8(bytes: Uint8Array, where: Record<string, unknown> = {}): string {
  try {
    return fatalUtf8.decode(bytes);
  } catch (cause) {
    throw synthError(
      "INVALID_ENCODING",
      "the file is not valid UTF-8; declare its encoding (e.g. --encoding windows-1252) or save it as UTF-8",
      where,
      cause,
    );
  }
}
