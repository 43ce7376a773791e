/**
 * Text that means "no value" in the exports users bring (R, pandas, SQL dumps, spreadsheets). Compared exactly
 * after trimming; lower-case "nan", "none" and "null" are included since pandas and Python write them so.
 */
export const MISSING_TOKENS: ReadonlySet<string> = new Set([
  "",
  "NA",
  "N/A",
  "n/a",
  "na",
  "null",
  "NULL",
  "Null",
  "NaN",
  "nan",
  "NAN",
  "None",
  "none",
  "#N/A",
]);

export function isMissingToken(text: string): boolean {
  return text.length <= 4 && MISSING_TOKENS.has(text.trim());
}
