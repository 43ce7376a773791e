import { z } from "zod";

/** Non-fatal findings while reading or inferring a table, shown to the user beside the profile. */
export const DATA_WARNING_CODES = [
  "ALL_NULL_COLUMN",
  "CONSTANT_COLUMN",
  "MIXED_TYPES",
  "MIXED_NEWLINES",
  "VALUES_COERCED_TO_NULL",
  "NESTED_VALUE_STRINGIFIED",
  "PRECISION_LOSS",
  "ENCODING_FALLBACK",
  "EXTRA_SHEETS_IGNORED",
] as const;
export const dataWarningCodeSchema = z.enum(DATA_WARNING_CODES);
export type DataWarningCode = z.infer<typeof dataWarningCodeSchema>;

export const dataWarningSchema = z.object({
  code: dataWarningCodeSchema,
  message: z.string(),
  column: z.string().optional(),
  /** 1-based data row numbers (header excluded) of a few offending cells. */
  rows: z.array(z.number().int()).optional(),
  /** A few offending values, as text. */
  examples: z.array(z.string()).optional(),
});
export type DataWarning = z.infer<typeof dataWarningSchema>;
