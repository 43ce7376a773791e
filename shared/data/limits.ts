import { z } from "zod";

/**
 * Resource limits for reading a table. The entrypoint (CLI, API, runner) reads its configuration
 * (e.g. MAX_FILE_SIZE_MB) once and passes these down; shared/ never reads the environment.
 */
export const MAX_FILE_SIZE_MB = 500;

export const dataLimitsSchema = z.object({
  /** Largest input accepted, in bytes (MAX_FILE_SIZE_MB, default 500 MB). */
  maxFileBytes: z
    .number()
    .int()
    .positive()
    .default(MAX_FILE_SIZE_MB * 1024 * 1024),
  /** Largest number of data rows (header excluded). */
  maxRows: z.number().int().positive().default(20_000_000),
  /** Largest number of columns. */
  maxColumns: z.number().int().positive().default(2_000),
  /** Largest single field (cell or header name), in bytes. */
  maxFieldBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** Deepest JSON nesting accepted (a flat record array is depth 2). */
  maxNestingDepth: z.number().int().positive().default(64),
  /**
   * Total uncompressed size of a zip container (xlsx), in bytes. exceljs holds about 17 bytes of memory per byte
   * of sheet XML (measured: 21 MB of XML, 350 MB resident), so 256 MiB keeps a legitimate workbook near 4.5 GB.
   */
  maxUncompressedBytes: z
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024),
  /** Largest uncompressed/compressed ratio of any zip entry: real xlsx parts stay well under 100. */
  maxCompressionRatio: z.number().positive().default(200),
  /** Largest number of entries in a zip container. */
  maxZipEntries: z.number().int().positive().default(10_000),
});
export type DataLimits = z.infer<typeof dataLimitsSchema>;

export const partialDataLimitsSchema = dataLimitsSchema.partial();

export const DEFAULT_LIMITS: DataLimits = dataLimitsSchema.parse({});

/** Fills in defaults and validates; throws a ZodError on a bad value (callers wrap it). */
export function resolveLimits(limits: Partial<DataLimits> | undefined): DataLimits {
  return dataLimitsSchema.parse(limits ?? {});
}

/** Limits with maxFileBytes set from a size in megabytes (the MAX_FILE_SIZE_MB convention). */
export function limitsFromMegabytes(maxFileSizeMb: number, rest: Partial<DataLimits> = {}): DataLimits {
  return resolveLimits({ ...rest, maxFileBytes: Math.floor(maxFileSizeMb * 1024 * 1024) });
}
