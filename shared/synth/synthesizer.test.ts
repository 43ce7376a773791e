import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initNodeBackend } from "../../cli/tf-backend.ts";
import { createRng } from "../random.ts";
import { isSynthError } from "../errors.ts";
import { fromRows } from "../data/table.ts";
import type { Cell, Table } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { Synthesizer } from "./synthesizer.ts";
import { decodeArtifact, encodeArtifact } from "./artifact.ts";
import type { ModelKind } from "./models.ts";

/** Two linked categoricals (P(kind = "u" | group = "a") = 0.9, 0.1 for "b"), a rare level, a number and an id. */
function linkedTable(n: number): { table: Table; metadata: TableMetadata } {
  const rng = createRng(31);
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    const group = rng.next() < 0.5 ? "a" : rng.next() < 0.96 ? "b" : "rare";
    const p = group === "a" ? 0.9 : 0.1;
    const kind = rng.next() < p ? "u" : "v";
    rows.push([i, group, kind, Number((group === "a" ? 10 : 30) + rng.normal().toFixed(1))]);
  }
  return {
    table: fromRows(["id", "group", "kind", "value"], rows),
    metadata: {
      columns: [
        { name: "id", sdtype: "id" },
        { name: "group", sdtype: "categorical" },
        { name: "kind", sdtype: "categorical" },
        { name: "value", sdtype: "numerical" },
      ],
    },
  };
}

function bytesOf(table: Table): string {
  return JSON.stringify(table);
}

const few = { epochs: 2, batch_size: 100 };
const configFor = (kind: ModelKind) =>
  kind === "gaussian_copula" ? {} : kind === "ctgan" ? { ...few, pac: 10 } : few;

beforeAll(async () => {
  await initNodeBackend({ backend: "wasm" });
});

describe("Synthesizer", () => {
  it("validates its inputs", async () => {
    const { table, metadata } = linkedTable(50);
    await expect(
      Synthesizer.fit(table, { columns: metadata.columns.slice(1) } as TableMetadata),
    ).rejects.toMatchObject({ code: "INVALID_METADATA", details: { column: "id" } });
    await expect(
      Synthesizer.fit(table, { columns: [...metadata.columns, { name: "ghost", sdtype: "numerical" }] }),
    ).rejects.toMatchObject({ code: "UNKNOWN_COLUMN" });
    await expect(
      Synthesizer.fit(table, metadata, { model: "ctgan", modelConfig: { epochs: -1 } }),
    ).rejects.toMatchObject({
      code: "INVALID_MODEL_CONFIG",
    });
    await expect(Synthesizer.fit(table, metadata, { model: "nope" as ModelKind })).rejects.toMatchObject({
      code: "INVALID_MODEL_CONFIG",
    });
  });

  for (const kind of ["gaussian_copula", "ctgan", "tvae"] as const) {
    it(`${kind}: same seed, same bytes; saved and loaded, same bytes again; no tensor leak`, async () => {
      const { table, metadata } = linkedTable(300);
      const before = tf.memory().numTensors;
      const a = await Synthesizer.fit(table, metadata, {
        model: kind,
        modelConfig: configFor(kind),
        seed: 7,
      });
      const b = await Synthesizer.fit(table, metadata, {
        model: kind,
        modelConfig: configFor(kind),
        seed: 7,
      });
      const sa = await a.sample(250, { seed: 3 });
      expect(bytesOf(await b.sample(250, { seed: 3 }))).toBe(bytesOf(sa));
      expect(bytesOf(await a.sample(250, { seed: 4 }))).not.toBe(bytesOf(sa));
      const bytes = encodeArtifact(a);
      const loaded = decodeArtifact(bytes);
      expect(loaded.kind).toBe(kind);
      expect(bytesOf(await loaded.sample(250, { seed: 3 }))).toBe(bytesOf(sa));
      expect(encodeArtifact(loaded, new Date(0)).length).toBe(encodeArtifact(a, new Date(0)).length);
      const conditioned = await loaded.sample(40, { seed: 5, conditions: { group: "b" } });
      expect(conditioned.data[1].every((v) => v === "b")).toBe(true);
      expect(new Set(conditioned.data[0]).size).toBe(40);
      for (const s of [a, b, loaded]) s.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it("conditional sampling keeps the model's conditional frequencies of the other columns", async () => {
    const { table, metadata } = linkedTable(3000);
    const synth = await Synthesizer.fit(table, metadata, { seed: 1 });
    const share = (t: Table, group: string) => {
      const rows = t.data[1].flatMap((g, i) => (g === group ? [t.data[2][i]] : []));
      return rows.filter((x) => x === "u").length / rows.length;
    };
    // Rejection must not bias the rows it keeps: P(kind | group) as in the model's unconditional sample.
    const free = await synth.sample(40_000, { seed: 9 });
    const givenA = await synth.sample(4000, { seed: 2, conditions: { group: "a" } });
    const givenB = await synth.sample(4000, { seed: 3, conditions: { group: "b" } });
    expect(givenA.data[1].every((v) => v === "a")).toBe(true);
    expect(givenB.data[1].every((v) => v === "b")).toBe(true);
    expect(Math.abs(share(givenA, "a") - share(free, "a"))).toBeLessThan(0.025);
    expect(Math.abs(share(givenB, "b") - share(free, "b"))).toBeLessThan(0.025);
    // ... and the copula keeps the direction of the real dependence (0.9 vs 0.1).
    expect(share(givenA, "a")).toBeGreaterThan(share(givenB, "b") + 0.2);
    const both = await synth.sample(200, { seed: 4, conditions: { group: "rare", kind: "v" } });
    expect(both.data[1].every((v) => v === "rare") && both.data[2].every((v) => v === "v")).toBe(true);
  });

  it("keeps a condition on a column named __proto__", async () => {
    const { table, metadata } = linkedTable(500);
    const renamed: Table = { columns: ["id", "__proto__", "kind", "value"], data: table.data };
    const meta: TableMetadata = {
      columns: metadata.columns.map((c) => (c.name === "group" ? { ...c, name: "__proto__" } : c)),
    };
    const synth = await Synthesizer.fit(renamed, meta, { seed: 1 });
    // JSON.parse makes an own key __proto__, as an API body or a config file would.
    const conditions = JSON.parse('{"__proto__": "b"}') as Record<string, string>;
    const out = await synth.sample(300, { seed: 2, conditions });
    expect(out.data[1].length).toBeGreaterThan(0);
    expect(out.data[1].every((v) => v === "b")).toBe(true);
    synth.dispose();
  });

  it("fails clearly when a condition cannot be met", async () => {
    const { table, metadata } = linkedTable(500);
    const synth = await Synthesizer.fit(table, metadata, { seed: 1 });
    await expect(synth.sample(10, { conditions: { group: "zzz" } })).rejects.toMatchObject({
      code: "CONDITION_UNSATISFIABLE",
      details: { column: "group", value: "zzz" },
    });
    await expect(synth.sample(10, { conditions: { value: 10 } })).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    // Seen, but the model puts it too rarely: bounded rejection gives up with the counts.
    const error = await synth
      .sample(5000, { seed: 1, conditions: { group: "rare" }, maxTries: 2 })
      .catch((e) => e);
    expect(isSynthError(error, "CONDITION_UNSATISFIABLE")).toBe(true);
    expect(error.details.requested).toBe(5000);
    expect(error.details.obtained).toBeGreaterThan(0);
    expect(error.details.obtained).toBeLessThan(5000);
  });

  it("stops within one epoch when aborted, and honours a time budget", async () => {
    const { table, metadata } = linkedTable(400);
    const controller = new AbortController();
    let epochsSeen = 0;
    const fit = Synthesizer.fit(
      table,
      metadata,
      { model: "tvae", modelConfig: { epochs: 50, batch_size: 50 }, seed: 1 },
      {
        signal: controller.signal,
        onEpoch: (p) => {
          epochsSeen = p.epoch;
          if (p.epoch === 2) controller.abort();
        },
      },
    );
    await expect(fit).rejects.toMatchObject({ code: "ABORTED" });
    expect(epochsSeen).toBe(2);
    const aborted = new AbortController();
    aborted.abort();
    await expect(Synthesizer.fit(table, metadata, {}, { signal: aborted.signal })).rejects.toMatchObject({
      code: "ABORTED",
    });
    const budget = await Synthesizer.fit(table, metadata, {
      model: "tvae",
      modelConfig: { epochs: 100_000, batch_size: 50 },
      timeBudgetMs: 300,
      seed: 1,
    });
    expect(budget.stats?.epochs.length).toBeGreaterThan(0);
    expect(budget.stats?.epochs.length).toBeLessThan(100_000);
    budget.dispose();
  });

  it("refuses a damaged artifact", async () => {
    const { table, metadata } = linkedTable(100);
    const bytes = encodeArtifact(await Synthesizer.fit(table, metadata));
    const wrongMagic = bytes.slice();
    wrongMagic[0] = 0x58;
    expect(() => decodeArtifact(wrongMagic)).toThrow(/magic/);
    expect(() => decodeArtifact(bytes.slice(0, 40))).toThrow(/truncated/);
    const future = bytes.slice();
    new DataView(future.buffer).setUint32(8, 3, true);
    expect(() => decodeArtifact(future)).toThrow(/unsupported model format version 3/);
    const renamed = bytes.slice();
    const at = new TextDecoder("latin1").decode(bytes).indexOf('"gaussian_copula"');
    renamed[at + 15] = "b".charCodeAt(0);
    expect(() => decodeArtifact(renamed)).toThrow(/header is invalid/);
  });
});

describe("conditions typed as text", () => {
  it("match numeric and boolean levels", async () => {
    const rng = createRng(2);
    const rows: Cell[][] = Array.from({ length: 400 }, () => [rng.int(3), rng.next() < 0.5, rng.normal()]);
    const table = fromRows(["code", "flag", "x"], rows);
    const synth = await Synthesizer.fit(table, {
      columns: [
        { name: "code", sdtype: "categorical" },
        { name: "flag", sdtype: "boolean" },
        { name: "x", sdtype: "numerical" },
      ],
    });
    const out = await synth.sample(50, { seed: 1, conditions: { code: "2", flag: "true" } });
    expect(out.data[0].every((v) => v === 2)).toBe(true);
    expect(out.data[1].every((v) => v === true)).toBe(true);
  });
});
