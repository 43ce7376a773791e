/**
 * Text that may mean "no value" in the exports users bring (R, pandas, SQL dumps, spreadsheets). Compared exactly
 * after trimming. pandas 2.x reads this kind of list as missing in every column (STR_NA_VALUES in
 * pandas/_libs/parsers.pyx: "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
 * "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"; "None" since 2.0). We do not: such a
 * token is missing only where it is its column's odd one out (tokenIsMissing below, applied by RawColumn.resolveMissingTokens), so a level spelled "None" or
 * "NA" that a column really has stays a value.
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
  "#NA",
  "<NA>",
]);

/** Whether a cell's text is one of the tokens (blank and whitespace-only text included). */
export function isMissingToken(text: string): boolean {
  return text.length <= 4 && MISSING_TOKENS.has(text.trim());
}

/**
 * In a text column, a token that makes up at least this share of the column's non-blank cells (and occurs at
 * least MIN_LEVEL_COUNT times) is one of its levels, not a missing marker: Ames housing's "None" (no masonry
 * veneer, 60% of MasVnrType) stays, its 0.8% of "NA" there is missing.
 */
export const TOKEN_LEVEL_SHARE = 0.05;
export const MIN_LEVEL_COUNT = 2;

/** How often one token was read as missing in one column. */
export interface MissingTokenCount {
  token: string;
  count: number;
}

/**
 * The rule, for a column with no declared `missingValues`. Blank cells are always missing. A token is missing
 * when the column's other values are all numbers, booleans or dates (or there are none): "NA" among numbers.
 * Otherwise (a text column) it is missing unless it is a frequent level: at least MIN_LEVEL_COUNT cells and
 * TOKEN_LEVEL_SHARE of the non-blank cells. Keeping a frequent token loses nothing for a pandas user either: it is
 * written back spelled as it was, so whoever read it as missing reads the output the same way.
 */
export function tokenIsMissing(count: number, nonBlankCells: number, otherValuesTyped: boolean): boolean {
  if (otherValuesTyped) return true;
  return count < MIN_LEVEL_COUNT || count < TOKEN_LEVEL_SHARE * nonBlankCells;
}
