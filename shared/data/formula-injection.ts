/**
 * Spreadsheet formula injection (CSV injection, OWASP): a cell that starts with = + - @ or a tab / carriage
 * return may be run as a formula when a CSV is opened in a spreadsheet. With the writer's opt-in `excelSafe`
 * option such cells get a leading apostrophe, which spreadsheets show as text; it is opt-in because it changes
 * the value (the CSV no longer round-trips), and only CSV needs it (xlsx text cells are never formulas). Plain numbers written as text ("-12.5") are left alone: a spreadsheet reads
 * them as numbers, never as formulas, and changing them would corrupt negative values.
 */
const TRIGGERS = new Set(["=", "+", "-", "@", "\t", "\r"]);
const PLAIN_NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

export function needsNeutralising(text: string): boolean {
  return text.length > 0 && TRIGGERS.has(text[0]) && !PLAIN_NUMBER.test(text);
}

export function neutraliseFormula(text: string): string {
  return needsNeutralising(text) ? `'${text}` : text;
}
