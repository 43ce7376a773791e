import { CR, LF, QUOTE } from "./csv-tokenizer.ts";

export const DELIMITERS = [",", ";", "\t", "|"] as const;
export type Delimiter = (typeof DELIMITERS)[number];

/** Picks the delimiter that splits the first lines into the same number of fields most consistently. */
export function detectDelimiter(bytes: Uint8Array, start: number): Delimiter {
  const end = Math.min(bytes.length, start + 65_536);
  const lines: number[][] = [];
  let counts = [0, 0, 0, 0];
  let inQuotes = false;
  for (let i = start; i < end && lines.length < 50; i++) {
    const b = bytes[i];
    if (b === QUOTE) inQuotes = !inQuotes;
    else if (!inQuotes) {
      if (b === LF || b === CR) {
        if (b === CR && bytes[i + 1] === LF) i++;
        lines.push(counts);
        counts = [0, 0, 0, 0];
      } else if (b === 0x2c) counts[0]++;
      else if (b === 0x3b) counts[1]++;
      else if (b === 0x09) counts[2]++;
      else if (b === 0x7c) counts[3]++;
    }
  }
  if (lines.length === 0 || counts.some((c) => c > 0)) lines.push(counts);
  let best = 0;
  let bestScore = -1;
  for (let d = 0; d < DELIMITERS.length; d++) {
    const header = lines[0][d];
    if (header === 0) continue;
    const consistent = lines.filter((l) => l[d] === header).length;
    const score = consistent * 1000 + Math.min(header, 999);
    if (score > bestScore) {
      bestScore = score;
      best = d;
    }
  }
  return DELIMITERS[best];
}

/**
 * The delimiter to read with and where the header starts: the caller's hint, else the one Excel's "sep=;" first
 * line names (that line is then skipped), else the detected one.
 */
export function chooseDelimiter(
  bytes: Uint8Array,
  hint: Delimiter | undefined,
): { delimiter: Delimiter; start: number } {
  let start = 0;
  let declared: Delimiter | undefined;
  if (bytes.length >= 5 && bytes[0] === 0x73 && bytes[1] === 0x65 && bytes[2] === 0x70 && bytes[3] === 0x3d) {
    const d = String.fromCharCode(bytes[4]);
    const next = bytes[5];
    if ((DELIMITERS as readonly string[]).includes(d) && (next === LF || next === CR || next === undefined)) {
      declared = d as Delimiter;
      start = 5;
      if (bytes[start] === CR) start++;
      if (bytes[start] === LF) start++;
    }
  }
  return { delimiter: hint ?? declared ?? detectDelimiter(bytes, start), start };
}
