/**
 * Datetimes are modelled as epoch milliseconds; this restores them. A column whose cells were Date objects
 * gets Date objects back (the writers format them with the column's datetimeFormat); a column whose cells
 * were strings gets strings formatted with the column's strftime format (UTC), or ISO 8601 without one.
 */
const pad = (v: number, width: number): string => String(v).padStart(width, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function formatStrftime(date: Date, format: string): string {
  return format.replace(/%([YymdHMSfbjz%])/g, (_, token: string) => {
    switch (token) {
      case "Y":
        return pad(date.getUTCFullYear(), 4);
      case "y":
        return pad(date.getUTCFullYear() % 100, 2);
      case "m":
        return pad(date.getUTCMonth() + 1, 2);
      case "d":
        return pad(date.getUTCDate(), 2);
      case "H":
        return pad(date.getUTCHours(), 2);
      case "M":
        return pad(date.getUTCMinutes(), 2);
      case "S":
        return pad(date.getUTCSeconds(), 2);
      case "f":
        return pad(date.getUTCMilliseconds() * 1000, 6);
      case "b":
        return MONTHS[date.getUTCMonth()];
      case "j": {
        const start = Date.UTC(date.getUTCFullYear(), 0, 1);
        return pad(Math.floor((date.getTime() - start) / 86_400_000) + 1, 3);
      }
      case "z":
        return "+0000";
      default:
        return "%";
    }
  });
}

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
