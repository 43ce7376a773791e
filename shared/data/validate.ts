import { synthError } from "../errors.ts";

/** Column names must be present and unique: every later step (metadata, models, reports) keys on them. */
export function checkColumnNames(names: readonly string[]): void {
  const seen = new Map<string, number>();
  names.forEach((name, j) => {
    if (name.trim() === "") {
      // The two usual causes, named so the user can fix the export rather than guess.
      const hint =
        j === 0
          ? " (a row index written as the first column, e.g. pandas to_csv without index=False?)"
          : j === names.length - 1
            ? " (a delimiter at the end of every line?)"
            : "";
      throw synthError("EMPTY_COLUMN_NAME", `column ${j + 1} has no name${hint}`, {
        column: String(j + 1),
        position: j + 1,
      });
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw synthError(
        "DUPLICATE_COLUMN_NAME",
        `the column name ${JSON.stringify(name)} appears twice (columns ${first + 1} and ${j + 1})`,
        { column: name, positions: [first + 1, j + 1] },
      );
    }
    seen.set(name, j);
  });
}
