import { z } from "zod";

/**
 * Column metadata in the vocabulary of SDV's single-table metadata (sdtypes), so SDV users can bring theirs.
 * sdv-to-ours and back lives in sdv-metadata.ts; inference in infer.ts.
 */
export const SDTYPES = ["numerical", "categorical", "boolean", "datetime", "id", "text"] as const;
export const sdtypeSchema = z.enum(SDTYPES);
export type Sdtype = z.infer<typeof sdtypeSchema>;

export const PII_KINDS = [
  "email",
  "phone",
  "name",
  "address",
  "credit_card",
  "iban",
  "ip_address",
  "ssn",
  "url",
] as const;
export const piiKindSchema = z.enum(PII_KINDS);
export type PiiKind = z.infer<typeof piiKindSchema>;

export const columnMetadataSchema = z.object({
  name: z.string().min(1),
  sdtype: sdtypeSchema,
  /** numerical: SDV's computer_representation, "Int64" for integers, "Float" otherwise. */
  computerRepresentation: z
    .enum(["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float"])
    .optional(),
  /** numerical floats: decimal digits seen in the data, used to round synthetic values the same way. */
  decimals: z.number().int().min(0).max(20).optional(),
  /** datetime: strftime-style format detected or declared, e.g. "%Y-%m-%d". */
  datetimeFormat: z.string().optional(),
  /** A likely personal-data column, flagged for the user and never learned verbatim. */
  pii: piiKindSchema.optional(),
  /** Only one distinct non-missing value. */
  constant: z.boolean().optional(),
  /**
   * The texts that mean "missing" in this column (besides blank cells), e.g. ["NA"]; every other text is a value,
   * so ["NA"] keeps a level spelled "None". Absent: the inference rule of missing.ts decides. Inference writes it
   * for every column where it saw a token, [] when the tokens it saw were all kept as values. SDV metadata has no
   * such field, so the SDV export leaves it out.
   */
  missingValues: z.array(z.string().max(256)).max(100).optional(),
});
export type ColumnMetadata = z.infer<typeof columnMetadataSchema>;

export const tableMetadataSchema = z
  .object({
    columns: z.array(columnMetadataSchema).min(1),
    primaryKey: z.string().optional(),
  })
  .superRefine((meta, ctx) => {
    const seen = new Set<string>();
    for (const col of meta.columns) {
      if (seen.has(col.name)) ctx.addIssue({ code: "custom", message: `duplicate column ${col.name}` });
      seen.add(col.name);
    }
    if (meta.primaryKey !== undefined && !seen.has(meta.primaryKey)) {
      ctx.addIssue({ code: "custom", message: `primary key ${meta.primaryKey} is not a column` });
    }
  });
export type TableMetadata = z.infer<typeof tableMetadataSchema>;

export function columnMeta(meta: TableMetadata, name: string): ColumnMetadata | undefined {
  return meta.columns.find((c) => c.name === name);
}
