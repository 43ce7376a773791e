import { PgrstError } from "./pgrst-error.ts";

/**
 * The `Prefer` header as PostgREST reads it (ApiRequest/Preferences.hs): comma-separated, any number of
 * headers, the first value of each preference wins. Unknown ones are ignored unless handling=strict.
 * planned and estimated counts are answered as exact counts (the tables here are small).
 */
export interface Preferences {
  return?: "representation" | "minimal" | "headers-only";
  count?: "exact" | "planned" | "estimated";
  resolution?: "merge-duplicates" | "ignore-duplicates";
  missing?: "default" | "null";
  handling?: "strict" | "lenient";
}

const KNOWN: Record<string, Record<string, true>> = {
  return: { representation: true, minimal: true, "headers-only": true },
  count: { exact: true, planned: true, estimated: true },
  resolution: { "merge-duplicates": true, "ignore-duplicates": true },
  missing: { default: true, null: true },
  handling: { strict: true, lenient: true },
  tx: { commit: true, rollback: true },
};

export function parsePreferences(header: string | undefined): Preferences {
  const prefs: Record<string, string> = {};
  const invalid: string[] = [];
  for (const raw of (header ?? "").split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const [name, value = ""] = item.split("=", 2);
    if (KNOWN[name]?.[value] === true) {
      if (!(name in prefs)) prefs[name] = value;
    } else if (!/^(timezone|max-affected)=/.test(item)) invalid.push(item);
  }
  if (prefs.handling === "strict" && invalid.length > 0)
    throw new PgrstError(
      400,
      "PGRST122",
      "Invalid preferences given with handling=strict",
      `Invalid preferences: ${invalid.join(", ")}`,
    );
  return prefs as Preferences;
}

/** Preference-Applied: the preferences this request honoured, as PostgREST echoes them. */
export function appliedPreferences(prefs: Preferences, names: (keyof Preferences)[]): Record<string, string> {
  const applied = names
    .filter((n) => prefs[n] !== undefined)
    .map((n) => `${n === "return" ? "return" : n}=${prefs[n]}`);
  return applied.length === 0 ? {} : { "preference-applied": applied.join(", ") };
}
