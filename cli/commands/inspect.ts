import { readFile, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { fileFormatSchema } from "../../shared/data/formats.ts";
import { loadTable } from "../../shared/data/load.ts";
import { profileTable, type ColumnProfile, type TableProfile } from "../../shared/data/profile.ts";
import { parseMetadataJson, toSdvMetadata } from "../../shared/data/sdv-metadata.ts";
import type { ColumnMetadata, TableMetadata } from "../../shared/data/metadata.ts";
import type { DataWarning } from "../../shared/data/warnings.ts";
import { dataLimitsFromEnv, readDataFile } from "../data-file.ts";

const inspectOptionsSchema = z.object({
  json: z.boolean().default(false),
  metadata: z.string().min(1).optional(),
  inputMetadata: z.string().min(1).optional(),
  format: fileFormatSchema.optional(),
  sheet: z.string().optional(),
  encoding: z.string().optional(),
});

const num = (v: number): string => {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e7 || a < 1e-3) ? v.toExponential(3) : v.toFixed(a >= 100 ? 1 : 3);
};

function describeType(meta: ColumnMetadata): string {
  const parts: string[] = [meta.sdtype];
  if (meta.computerRepresentation) parts.push(meta.computerRepresentation);
  if (meta.decimals !== undefined && meta.computerRepresentation === "Float")
    parts.push(`${meta.decimals} dp`);
  if (meta.datetimeFormat) parts.push(meta.datetimeFormat);
  if (meta.pii) parts.push(`PII:${meta.pii}`);
  if (meta.constant) parts.push("constant");
  return parts.join(" ");
}

function describeValues(p: ColumnProfile): string {
  if (p.numeric) {
    const q = p.numeric.quantiles;
    return `min ${num(p.numeric.min)}  median ${num(q.p50)}  max ${num(p.numeric.max)}  mean ${num(p.numeric.mean)}  std ${num(p.numeric.std)}`;
  }
  if (p.datetime) return `${p.datetime.minIso.slice(0, 19)} .. ${p.datetime.maxIso.slice(0, 19)}`;
  if (p.boolean) return `true ${p.boolean.true}  false ${p.boolean.false}`;
  if (p.categories) {
    const top = p.categories
      .slice(0, 4)
      .map(
        (c) =>
          `${JSON.stringify(c.value.length > 24 ? `${c.value.slice(0, 23)}…` : c.value)} ${(c.frequency * 100).toFixed(1)}%`,
      );
    return top.join(", ") + (p.categories.length > 4 || (p.otherCount ?? 0) > 0 ? ", …" : "");
  }
  if (p.text) return `length ${p.text.minLength}..${p.text.maxLength} (mean ${p.text.meanLength.toFixed(1)})`;
  return "";
}

function pad(s: string, w: number): string {
  return s.length >= w ? s : s + " ".repeat(w - s.length);
}

/** A terminal summary: one line per column, then the warnings. */
export function renderInspection(
  file: string,
  format: string,
  metadata: TableMetadata,
  profile: TableProfile,
  warnings: DataWarning[],
): string {
  const lines = [
    `${file}: ${format}, ${profile.rows} rows x ${profile.columns} columns, ${profile.missingCells} missing cells (${profile.rowsWithMissing} rows with any)`,
  ];
  if (metadata.primaryKey) lines.push(`primary key: ${metadata.primaryKey}`);
  const byName = new Map(metadata.columns.map((c) => [c.name, c]));
  const nameWidth = Math.min(28, Math.max(6, ...profile.columnProfiles.map((p) => p.name.length)));
  const typeWidth = Math.min(34, Math.max(6, ...metadata.columns.map((c) => describeType(c).length)));
  lines.push("");
  lines.push(
    `${pad("column", nameWidth)}  ${pad("type", typeWidth)}  ${pad("missing", 8)}  ${pad("distinct", 8)}  values`,
  );
  for (const p of profile.columnProfiles) {
    const meta = byName.get(p.name)!;
    const missing = profile.rows === 0 ? "0" : `${((p.missing / profile.rows) * 100).toFixed(1)}%`;
    const tokens = p.missingTokens?.length
      ? `  (missing: ${p.missingTokens.map((t) => `${JSON.stringify(t.token)} x${t.count}`).join(", ")})`
      : "";
    lines.push(
      `${pad(p.name, nameWidth)}  ${pad(describeType(meta), typeWidth)}  ${pad(missing, 8)}  ${pad(String(p.distinct), 8)}  ${describeValues(p)}${tokens}`,
    );
  }
  if (warnings.length > 0) {
    lines.push("", "warnings:");
    for (const w of warnings) {
      const ex = w.examples?.length ? ` (e.g. ${w.examples.map((e) => JSON.stringify(e)).join(", ")})` : "";
      lines.push(`  ${w.code}: ${w.message}${ex}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export function register(program: Command): void {
  program
    .command("inspect")
    .description(
      "read a table (CSV, JSON, JSON Lines, xlsx, Parquet): inferred column metadata and a profile",
    )
    .argument("<file>", "the table to inspect")
    .option("--json", "print metadata, SDV metadata, profile and warnings as JSON")
    .option("--metadata <out.json>", "write the inferred metadata as SDV single-table metadata JSON")
    .option("--input-metadata <file.json>", "metadata (SDV or synth JSON) that overrides inference")
    .option("--format <format>", "declared format: csv, json, jsonl, xlsx, parquet (the bytes must agree)")
    .option("--sheet <name>", "xlsx: the sheet to read (default: the first)")
    .option("--encoding <label>", "text encoding when not UTF-8, e.g. windows-1252")
    .action(async (file: string, raw: unknown) => {
      const opts = inspectOptionsSchema.parse(raw);
      const limits = dataLimitsFromEnv();
      const bytes = await readDataFile(file, limits);
      const userMetadata = opts.inputMetadata
        ? parseMetadataJson(await readFile(opts.inputMetadata, "utf8"))
        : undefined;
      const loaded = await loadTable(bytes, {
        fileName: basename(file),
        limits,
        ...(opts.format ? { format: opts.format } : {}),
        ...(opts.sheet ? { sheet: opts.sheet } : {}),
        ...(opts.encoding ? { encoding: opts.encoding } : {}),
        ...(userMetadata ? { metadata: userMetadata } : {}),
      });
      const profile = profileTable(
        loaded.table,
        loaded.metadata,
        {},
        { missingTokens: loaded.missingTokens },
      );
      const sdv = toSdvMetadata(loaded.metadata);
      if (opts.metadata) await writeFile(opts.metadata, `${JSON.stringify(sdv, null, 2)}\n`);
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ file: basename(file), format: loaded.format, metadata: loaded.metadata, sdvMetadata: sdv, profile, warnings: loaded.warnings }, null, 2)}\n`,
        );
      } else {
        process.stdout.write(
          renderInspection(basename(file), loaded.format, loaded.metadata, profile, loaded.warnings),
        );
        if (opts.metadata) process.stdout.write(`\nwrote SDV metadata to ${opts.metadata}\n`);
      }
    });
}
