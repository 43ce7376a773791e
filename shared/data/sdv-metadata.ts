import { z } from "zod";
import { synthError } from "../errors.ts";
import {
  piiKindSchema,
  tableMetadataSchema,
  type ColumnMetadata,
  type Sdtype,
  type TableMetadata,
} from "./metadata.ts";

/** SDV's single-table metadata JSON (SingleTableMetadata.to_dict / load_from_json), version SINGLE_TABLE_V1. */
export const METADATA_SPEC_VERSION = "SINGLE_TABLE_V1";

const sdvColumnSchema = z
  .object({
    sdtype: z.string().min(1),
    computer_representation: z.string().optional(),
    datetime_format: z.string().optional(),
    pii: z.boolean().optional(),
    regex_format: z.string().optional(),
  })
  .passthrough();

export const sdvMetadataSchema = z
  .object({
    METADATA_SPEC_VERSION: z.string().optional(),
    columns: z.record(z.string(), sdvColumnSchema),
    primary_key: z.string().optional(),
    alternate_keys: z.array(z.string()).optional(),
    sequence_key: z.string().optional(),
    sequence_index: z.string().optional(),
  })
  .passthrough();
export type SdvMetadata = z.infer<typeof sdvMetadataSchema>;

/**
 * What import validates: the same, but `columns` is taken as its own [name, column] entries, since a zod record
 * (like any object built by assignment) drops a column named "__proto__".
 */
const sdvInputSchema = sdvMetadataSchema.extend({
  columns: z
    .custom<Record<string, unknown>>((v) => v !== null && typeof v === "object" && !Array.isArray(v), {
      message: "columns must be an object of column name to column metadata",
    })
    .transform((v) => Object.entries(v))
    .pipe(z.array(z.tuple([z.string(), sdvColumnSchema]))),
});

/** SDV semantic sdtypes that name a kind of personal data; they map to our pii flag. */
const SDV_PII_SDTYPES: Record<string, z.infer<typeof piiKindSchema>> = {
  email: "email",
  phone_number: "phone",
  name: "name",
  first_name: "name",
  last_name: "name",
  address: "address",
  street_address: "address",
  credit_card_number: "credit_card",
  iban: "iban",
  ipv4_address: "ip_address",
  ipv6_address: "ip_address",
  ip_address: "ip_address",
  ssn: "ssn",
  url: "url",
};

const OUR_PII_TO_SDV: Record<z.infer<typeof piiKindSchema>, string> = {
  email: "email",
  phone: "phone_number",
  name: "name",
  address: "address",
  credit_card: "credit_card_number",
  iban: "iban",
  ip_address: "ipv4_address",
  ssn: "ssn",
  url: "url",
};

const REPRESENTATIONS = new Set([
  "Int8",
  "Int16",
  "Int32",
  "Int64",
  "UInt8",
  "UInt16",
  "UInt32",
  "UInt64",
  "Float",
]);

/** SDV metadata JSON (parsed) to ours. Unknown semantic sdtypes become categorical; PII sdtypes set the flag. */
export function fromSdvMetadata(input: unknown): TableMetadata {
  const parsed = sdvInputSchema.safeParse(input);
  if (!parsed.success) {
    throw synthError("INVALID_METADATA", "not SDV single-table metadata", { issues: parsed.error.issues });
  }
  const sdv = parsed.data;
  if (sdv.METADATA_SPEC_VERSION !== undefined && sdv.METADATA_SPEC_VERSION !== METADATA_SPEC_VERSION) {
    throw synthError("INVALID_METADATA", `unsupported METADATA_SPEC_VERSION ${sdv.METADATA_SPEC_VERSION}`, {
      expected: METADATA_SPEC_VERSION,
    });
  }
  const columns: ColumnMetadata[] = sdv.columns.map(([name, c]) => {
    const col: ColumnMetadata = { name, sdtype: "categorical" };
    const known = ["numerical", "categorical", "boolean", "datetime", "id", "text"] as const;
    if ((known as readonly string[]).includes(c.sdtype)) col.sdtype = c.sdtype as Sdtype;
    else if (Object.hasOwn(SDV_PII_SDTYPES, c.sdtype)) {
      col.pii = SDV_PII_SDTYPES[c.sdtype];
      col.sdtype = "categorical";
    }
    if (col.sdtype === "numerical" && c.computer_representation !== undefined) {
      if (!REPRESENTATIONS.has(c.computer_representation)) {
        throw synthError("INVALID_METADATA", `unknown computer_representation ${c.computer_representation}`, {
          column: name,
        });
      }
      col.computerRepresentation = c.computer_representation as ColumnMetadata["computerRepresentation"];
    }
    if (col.sdtype === "datetime" && c.datetime_format !== undefined) col.datetimeFormat = c.datetime_format;
    return col;
  });
  const meta = { columns, ...(sdv.primary_key !== undefined ? { primaryKey: sdv.primary_key } : {}) };
  const checked = tableMetadataSchema.safeParse(meta);
  if (!checked.success)
    throw synthError("INVALID_METADATA", "invalid SDV metadata", { issues: checked.error.issues });
  return checked.data;
}

/** Ours to SDV metadata JSON, valid for SDV's SingleTableMetadata.load_from_dict. */
export function toSdvMetadata(meta: TableMetadata): SdvMetadata {
  // No prototype: a column named "__proto__" is then an own key like any other, which JSON.stringify writes.
  const columns = Object.create(null) as SdvMetadata["columns"];
  for (const c of meta.columns) {
    const out: SdvMetadata["columns"][string] = { sdtype: c.sdtype };
    if (c.sdtype === "numerical" && c.computerRepresentation)
      out.computer_representation = c.computerRepresentation;
    if (c.sdtype === "datetime" && c.datetimeFormat) out.datetime_format = c.datetimeFormat;
    // SDV names personal data by a semantic sdtype with `pii: true`; it accepts no pii key on id or text
    // columns, so those keep their sdtype and the flag is not exported.
    if (c.pii !== undefined && c.sdtype === "categorical") {
      out.sdtype = OUR_PII_TO_SDV[c.pii];
      out.pii = true;
    }
    columns[c.name] = out;
  }
  return {
    METADATA_SPEC_VERSION,
    columns,
    ...(meta.primaryKey !== undefined ? { primary_key: meta.primaryKey } : {}),
  };
}

/** Parses SDV metadata JSON text, or our own metadata JSON (either is accepted where a user brings metadata). */
export function parseMetadataJson(text: string): TableMetadata {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw synthError(
      "INVALID_METADATA",
      `the metadata is not valid JSON: ${(cause as Error).message}`,
      {},
      cause,
    );
  }
  if (json !== null && typeof json === "object" && Array.isArray((json as { columns?: unknown }).columns)) {
    const ours = tableMetadataSchema.safeParse(json);
    if (!ours.success)
      throw synthError("INVALID_METADATA", "invalid metadata", { issues: ours.error.issues });
    return ours.data;
  }
  return fromSdvMetadata(json);
}
