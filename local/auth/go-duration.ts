/**
 * Go's time.ParseDuration, which GoTrue applies to ban_duration: a sequence of <decimal><unit> with the
 * units ns us µs ms s m h, optionally signed. Returns seconds, or null when the text is not a duration.
 */
const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

export function parseGoDuration(text: string): number | null {
  const sign = text.startsWith("-") ? -1 : 1;
  const body = text.replace(/^[-+]/, "");
  if (body === "0") return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let seconds = 0;
  let index = 0;
  while (index < body.length) {
    part.lastIndex = index;
    const match = part.exec(body);
    if (!match) return null;
    seconds += Number(match[1]) * UNIT_SECONDS[match[2]];
    index = part.lastIndex;
  }
  return index === 0 ? null : sign * seconds;
}
