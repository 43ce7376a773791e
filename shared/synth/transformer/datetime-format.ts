/**
 * Datetimes are modelled as epoch milliseconds. Cells that were Date objects come back as Dates (the writers
 * format them with the column's datetimeFormat); cells that were strings come back as strings in the column's
 * strftime format (shared/data's formatter, so reading and writing agree), or ISO 8601 without one.
 */
export { formatDate as formatStrftime } from "../../data/datetime-format.ts";

/** The coarsest unit (day, hour, minute, second, millisecond) that divides every value, in ms. */
export function datetimeUnitMs(values: ArrayLike<number>): number {
  const units = [86_400_000, 3_600_000, 60_000, 1000];
  for (const unit of units) {
    let ok = true;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isFinite(v) && v % unit !== 0) {
        ok = false;
        break;
      }
    }
    if (ok) return unit;
  }
  return 1;
}
