/**
 * strftime-style datetime formats (the `datetime_format` of SDV metadata): compile a format to a parser,
 * format a Date back, and the candidate list inference tries. Values without a zone are read as UTC so that a
 * table reads the same on every machine.
 */
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

type Part = "Y" | "m" | "d" | "H" | "M" | "S" | "f" | "z" | "b" | "p" | "I" | "y";

const TOKENS: Record<string, { re: string; part: Part }> = {
  Y: { re: "(\\d{4})", part: "Y" },
  y: { re: "(\\d{2})", part: "y" },
  m: { re: "(\\d{1,2})", part: "m" },
  d: { re: "(\\d{1,2})", part: "d" },
  H: { re: "(\\d{1,2})", part: "H" },
  I: { re: "(\\d{1,2})", part: "I" },
  M: { re: "(\\d{2})", part: "M" },
  S: { re: "(\\d{2})", part: "S" },
  f: { re: "(\\d{1,9})", part: "f" },
  z: { re: "(Z|[+-]\\d{2}:?\\d{2})", part: "z" },
  b: { re: "([A-Za-z]{3})", part: "b" },
  p: { re: "([AaPp][Mm])", part: "p" },
};

export interface CompiledFormat {
  readonly format: string;
  /** The Date the text denotes, or null if the text does not match or names an impossible date. */
  parse(text: string): Date | null;
}

const cache = new Map<string, CompiledFormat>();

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function compileFormat(format: string): CompiledFormat {
  const hit = cache.get(format);
  if (hit) return hit;
  const parts: Part[] = [];
  let re = "^";
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c === "%" && i + 1 < format.length) {
      const t = TOKENS[format[++i]];
      if (t) {
        re += t.re;
        parts.push(t.part);
        continue;
      }
      if (format[i] === "%") {
        re += "%";
        continue;
      }
      throw new RangeError(`unsupported datetime directive %${format[i]} in ${format}`);
    }
    re += escapeRegex(c);
  }
  const regex = new RegExp(`${re}$`);
  const compiled: CompiledFormat = {
    format,
    parse(text: string): Date | null {
      const m = regex.exec(text.trim());
      if (m === null) return null;
      let year = 1970;
      let month = 1;
      let day = 1;
      let hour = 0;
      let minute = 0;
      let second = 0;
      let ms = 0;
      let offsetMinutes = 0;
      let pm: boolean | undefined;
      for (let k = 0; k < parts.length; k++) {
        const v = m[k + 1];
        switch (parts[k]) {
          case "Y":
            year = +v;
            break;
          case "y":
            year = +v < 69 ? 2000 + +v : 1900 + +v;
            break;
          case "m":
            month = +v;
            break;
          case "b": {
            const idx = MONTHS.indexOf(v.toLowerCase());
            if (idx < 0) return null;
            month = idx + 1;
            break;
          }
          case "d":
            day = +v;
            break;
          case "H":
          case "I":
            hour = +v;
            break;
          case "M":
            minute = +v;
            break;
          case "S":
            second = +v;
            break;
          case "f":
            ms = Math.round(+`0.${v}` * 1000);
            break;
          case "p":
            pm = v.toLowerCase() === "pm";
            break;
          case "z":
            if (v !== "Z") {
              const sign = v[0] === "-" ? -1 : 1;
              const digits = v.slice(1).replace(":", "");
              offsetMinutes = sign * (+digits.slice(0, 2) * 60 + +digits.slice(2, 4));
            }
            break;
        }
      }
      if (pm !== undefined) {
        if (hour < 1 || hour > 12) return null;
        hour = (hour % 12) + (pm ? 12 : 0);
      }
      if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return null;
      const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
      const check = new Date(t);
      if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return null; // 31 February
      return new Date(t - offsetMinutes * 60_000);
    },
  };
  cache.set(format, compiled);
  return compiled;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** Writes a Date (as UTC) in a strftime-style format; %z writes "Z". */
export function formatDate(date: Date, format: string): string {
  let out = "";
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== "%" || i + 1 >= format.length) {
      out += c;
      continue;
    }
    const t = format[++i];
    switch (t) {
      case "Y":
        out += pad(date.getUTCFullYear(), 4);
        break;
      case "y":
        out += pad(date.getUTCFullYear() % 100);
        break;
      case "m":
        out += pad(date.getUTCMonth() + 1);
        break;
      case "b": {
        const name = MONTHS[date.getUTCMonth()];
        out += name[0].toUpperCase() + name.slice(1);
        break;
      }
      case "d":
        out += pad(date.getUTCDate());
        break;
      case "H":
        out += pad(date.getUTCHours());
        break;
      case "I":
        out += pad(((date.getUTCHours() + 11) % 12) + 1);
        break;
      case "p":
        out += date.getUTCHours() < 12 ? "AM" : "PM";
        break;
      case "M":
        out += pad(date.getUTCMinutes());
        break;
      case "S":
        out += pad(date.getUTCSeconds());
        break;
      case "f":
        out += pad(date.getUTCMilliseconds(), 3);
        break;
      case "z":
        out += "Z";
        break;
      case "%":
        out += "%";
        break;
      default:
        out += `%${t}`;
    }
  }
  return out;
}

/**
 * Formats inference tries, most specific first; among ambiguous day/month orders the month-first one comes
 * first (pandas' default), and a value with a first field above 12 rules it out.
 */
export const DATETIME_CANDIDATES: readonly string[] = [
  "%Y-%m-%d",
  "%Y-%m-%dT%H:%M:%S.%f%z",
  "%Y-%m-%dT%H:%M:%S%z",
  "%Y-%m-%dT%H:%M:%S.%f",
  "%Y-%m-%dT%H:%M:%S",
  "%Y-%m-%dT%H:%M%z",
  "%Y-%m-%dT%H:%M",
  "%Y-%m-%d %H:%M:%S.%f%z",
  "%Y-%m-%d %H:%M:%S%z",
  "%Y-%m-%d %H:%M:%S.%f",
  "%Y-%m-%d %H:%M:%S",
  "%Y-%m-%d %H:%M",
  "%Y/%m/%d",
  "%Y/%m/%d %H:%M:%S",
  "%Y/%m/%d %H:%M",
  "%m/%d/%Y",
  "%d/%m/%Y",
  "%m/%d/%Y %H:%M:%S",
  "%d/%m/%Y %H:%M:%S",
  "%m/%d/%Y %H:%M",
  "%d/%m/%Y %H:%M",
  "%m/%d/%Y %I:%M:%S %p",
  "%m/%d/%Y %I:%M %p",
  "%d.%m.%Y",
  "%d.%m.%Y %H:%M:%S",
  "%d.%m.%Y %H:%M",
  "%d-%m-%Y",
  "%m-%d-%Y",
  "%d %b %Y",
  "%b %d %Y",
  "%d-%b-%Y",
  "%Y%m%dT%H%M%S",
];

/** A cheap pre-filter: datetime text has a digit and one of - / . : or a month name, and is short. */
export function mayBeDatetime(text: string): boolean {
  if (text.length < 6 || text.length > 40) return false;
  const c = text.charCodeAt(0);
  return (c >= 48 && c <= 57) || /^[A-Za-z]{3} /.test(text);
}
