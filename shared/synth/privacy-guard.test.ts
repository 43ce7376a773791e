import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import { fromRows, rowCount, toRows } from "../data/table.ts";
import type { Cell, Table } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { evaluate } from "../metrics/evaluate.ts";
import { renderHtmlReport } from "../metrics/html/render.ts";
import { Synthesizer } from "./synthesizer.ts";
import { decodeArtifact, encodeArtifact, readArtifactHeader } from "./artifact.ts";

const metadata: TableMetadata = {
  columns: [
    { name: "id", sdtype: "id" },
    { name: "colour", sdtype: "categorical" },
    { name: "size", sdtype: "categorical" },
    { name: "score", sdtype: "numerical" },
  ],
};

/**
 * Every row unique, drawn from a small space (4 x 3 x 12 = 144 combinations for 90 rows), so a copula
 * that has learned the marginals reproduces real rows often: the case the guard exists for.
 */
function uniqueRows(): Table {
  const rng = createRng(5);
  const seen = new Set<string>();
  const rows: Cell[][] = [];
  while (rows.length < 90) {
    const colour = ["red", "green", "blue", "grey"][rng.int(4)];
    const size = ["S", "M", "L"][rng.int(3)];
    const score = rng.int(12);
    const key = `${colour}|${size}|${score}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push([`p${rows.length}`, colour, size, score]);
  }
  return fromRows(["id", "colour", "size", "score"], rows);
}

/** Row keys without the id (regenerated, never copied), and how often each occurs. */
function keyCounts(table: Table): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of toRows(table)) {
    const k = JSON.stringify(r.slice(1));
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

function copiesOf(real: Table, synthetic: Table, below: number): number {
  const counts = keyCounts(real);
  return toRows(synthetic).filter((r) => {
    const c = counts.get(JSON.stringify(r.slice(1)));
    return c !== undefined && c < below;
  }).length;
}

describe("privacy guard", () => {
  it("Gaussian copula, unique rows: guard on copies none of them, guard off shows the copies in the report", async () => {
    const real = uniqueRows();
    const synth = await Synthesizer.fit(real, metadata, { seed: 1 });
    const off = await synth.sampleWithReport(400, { seed: 2, privacy: { guard: false } });
    const on = await synth.sampleWithReport(400, { seed: 2 });

    expect(copiesOf(real, off.table, 2)).toBeGreaterThan(20);
    expect(off.privacy.status).toBe("off");
    const offReport = evaluate(real, off.table, metadata, { privacyGuard: off.privacy });
    expect(offReport.privacy?.exactCopies?.uniqueRealRowCopies).toBe(copiesOf(real, off.table, 2));
    expect(offReport.privacy?.exactCopies?.uniqueRealRowShare).toBeGreaterThan(0.05);
    expect(offReport.privacy?.exactCopies?.realDuplicateShare).toBe(0);
    expect(offReport.privacy?.exactCopies?.warning).toMatch(/reproduce a real row that is unique/);
    expect(offReport.notes.some((n) => n.includes("unique in the real table"))).toBe(true);
    expect(offReport.privacy?.guard?.status).toBe("off");

    expect(copiesOf(real, on.table, 2)).toBe(0);
    expect(on.privacy).toMatchObject({ status: "on", minRowCount: 2, rareTrainingRows: 90 });
    expect(on.privacy.resampled).toBeGreaterThan(20);
    expect(rowCount(on.table) + on.privacy.dropped).toBe(400);
    const onReport = evaluate(real, on.table, metadata, { privacyGuard: on.privacy });
    expect(onReport.privacy?.exactCopies).toMatchObject({ uniqueRealRowCopies: 0, warning: null });
    expect(onReport.privacy?.guard).toMatchObject({ status: "on", minRowCount: 2 });
    expect(onReport.rows.synthetic).toBe(rowCount(on.table));
    // Ids stay unique over the replaced rows.
    expect(new Set(on.table.data[0]).size).toBe(rowCount(on.table));

    const html = renderHtmlReport(offReport);
    expect(html).toContain("Copies of unique real rows");
    expect(html).toMatch(/Warning:/);
    expect(renderHtmlReport(onReport)).toMatch(/Privacy guard: on, k = 2: \d+ rows resampled/);
  });

  it("k tunes which rows are rare; rows many real people share stay", async () => {
    // 40 rows seen once, 30 seen twice, 10 seen 8 times (the common ones).
    const real = uniqueRows();
    const rows = toRows(real);
    const table = fromRows(real.columns, [
      ...rows.slice(0, 40),
      ...rows.slice(40, 70).flatMap((r) => [r, r]),
      ...rows.slice(70, 80).flatMap((r) => Array.from({ length: 8 }, () => r)),
    ]);
    table.data[0] = table.data[0].map((_, i) => `p${i}`);
    const synth = await Synthesizer.fit(table, metadata, { seed: 1, privacy: { minRowCount: 3 } });
    const k3 = await synth.sampleWithReport(600, { seed: 4 });
    const k2 = await synth.sampleWithReport(600, { seed: 4, privacy: { minRowCount: 2 } });
    expect(k3.privacy.minRowCount).toBe(3);
    expect(k3.privacy.rareTrainingRows).toBe(70);
    expect(copiesOf(table, k3.table, 3)).toBe(0);
    expect(copiesOf(table, k2.table, 2)).toBe(0);
    // k = 2 protects only the unique rows: rows seen twice come through.
    expect(copiesOf(table, k2.table, 3)).toBeGreaterThan(0);
    // Common rows are not touched by either.
    expect(copiesOf(table, k3.table, 100)).toBeGreaterThan(0);
    await expect(synth.sample(10, { privacy: { minRowCount: 4 } })).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    await expect(Synthesizer.fit(table, metadata, { privacy: { minRowCount: 1 } })).rejects.toMatchObject({
      code: "INVALID_MODEL_CONFIG",
    });
  });

  it("with a seed, the guarded sample is the same bytes every time", async () => {
    const real = uniqueRows();
    const a = await Synthesizer.fit(real, metadata, { seed: 3 });
    const b = await Synthesizer.fit(real, metadata, { seed: 3 });
    const sa = await a.sampleWithReport(300, { seed: 8 });
    const sb = await b.sampleWithReport(300, { seed: 8 });
    expect(sa.privacy.resampled).toBeGreaterThan(0);
    expect(JSON.stringify(sb)).toBe(JSON.stringify(sa));
    const conditioned = await a.sampleWithReport(100, { seed: 8, conditions: { colour: "red" } });
    expect(conditioned.table.data[1].every((c) => c === "red")).toBe(true);
    expect(copiesOf(real, conditioned.table, 2)).toBe(0);
    expect(conditioned.privacy.resampled).toBeGreaterThan(0);
    expect(JSON.stringify(await b.sampleWithReport(100, { seed: 8, conditions: { colour: "red" } }))).toBe(
      JSON.stringify(conditioned),
    );
  });

  it("drops what it cannot replace and says how many", async () => {
    // Three rows, each unique: every row the model can draw is a copy.
    const table = fromRows(["kind"], [["a"], ["b"], ["c"]]);
    const meta: TableMetadata = { columns: [{ name: "kind", sdtype: "categorical" }] };
    const synth = await Synthesizer.fit(table, meta);
    const out = await synth.sampleWithReport(50, { seed: 1 });
    expect(out.privacy).toMatchObject({ status: "on", dropped: 50, rounds: 10, maxRounds: 10, resampled: 0 });
    expect(rowCount(out.table)).toBe(0);
  });

  it("an artifact keeps the guard (hashes, not rows); guard off stores nothing; a version 1 file says it cannot guard", async () => {
    const real = uniqueRows();
    const synth = await Synthesizer.fit(real, metadata, { seed: 1 });
    const bytes = encodeArtifact(synth, new Date(0));
    const { header } = readArtifactHeader(bytes);
    expect(header.version).toBe(2);
    expect(header.rareRows).toMatchObject({ minRowCount: 2, trainingRows: 90 });
    const text = new TextDecoder().decode(bytes);
    for (const level of ["red", "green"]) expect(text.split(`"${level}"`).length).toBe(2); // the level list only
    const loaded = decodeArtifact(bytes);
    const expected = await synth.sampleWithReport(400, { seed: 2 });
    const again = await loaded.sampleWithReport(400, { seed: 2 });
    expect(again.privacy.status).toBe("on");
    expect(JSON.stringify(again)).toBe(JSON.stringify(expected));
    expect(copiesOf(real, again.table, 2)).toBe(0);

    const unguarded = await Synthesizer.fit(real, metadata, { seed: 1, privacy: { guard: false } });
    const offBytes = encodeArtifact(unguarded, new Date(0));
    expect(readArtifactHeader(offBytes).header.rareRows).toBeUndefined();
    const offLoaded = decodeArtifact(offBytes);
    expect((await offLoaded.sampleWithReport(10, { seed: 1 })).privacy.status).toBe("off");
    const forced = await offLoaded.sampleWithReport(10, { seed: 1, privacy: { guard: true } });
    expect(forced.privacy.status).toBe("unavailable");

    // A version 1 artifact: the same header without the hashes, as builds before the guard wrote it.
    const v1 = rewriteHeader(bytes, 1, (h) => {
      delete h.rareRows;
      delete (h.options as Record<string, unknown>).privacy;
      return h;
    });
    const old = decodeArtifact(v1);
    const oldSample = await old.sampleWithReport(400, { seed: 2 });
    expect(oldSample.privacy.status).toBe("unavailable");
    expect(oldSample.privacy.reason).toMatch(/artifact format 1/);
    const report = evaluate(real, oldSample.table, metadata, { privacyGuard: oldSample.privacy });
    expect(report.notes.some((n) => n.startsWith("The privacy guard could not run"))).toBe(true);
    // A version 1 file cannot smuggle hashes in, and the header must agree with the file's version.
    expect(() => decodeArtifact(rewriteHeader(bytes, 1, (h) => h))).toThrow(/header is invalid/);
    const moved = rewriteHeader(bytes, 2, (h) => ({
      ...h,
      rareRows: { ...(h.rareRows as object), columns: ["colour", "size"] },
    }));
    expect(() => decodeArtifact(moved)).toThrow(/made over other columns/);
  });
});

/** The artifact with its version and header rewritten (the weights section is empty for a copula). */
function rewriteHeader(
  bytes: Uint8Array,
  version: number,
  edit: (h: Record<string, unknown>) => Record<string, unknown>,
): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length)));
  const json = new TextEncoder().encode(JSON.stringify(edit({ ...header, version })));
  const out = new Uint8Array(16 + json.length + ((4 - (json.length % 4)) % 4));
  out.set(bytes.subarray(0, 8), 0);
  const outView = new DataView(out.buffer);
  outView.setUint32(8, version, true);
  outView.setUint32(12, json.length, true);
  out.set(json, 16);
  return out;
}
