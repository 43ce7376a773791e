import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { initNodeBackend } from "../../cli/tf-backend.ts";
import { createRng } from "../random.ts";
import { fromRows, rowCount } from "../data/table.ts";
import type { Cell, Table } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { Synthesizer, type FitEpoch } from "./synthesizer.ts";

/** Samples drawn from the epoch callback (FitEpoch.sample): the model as it is mid-fit. */
function table(n: number): { table: Table; metadata: TableMetadata } {
  const rng = createRng(7);
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    const group = rng.next() < 0.6 ? "a" : "b";
    rows.push([i, group, Number(((group === "a" ? 10 : 30) + 3 * rng.normal()).toFixed(1))]);
  }
  return {
    table: fromRows(["id", "group", "value"], rows),
    metadata: {
      columns: [
        { name: "id", sdtype: "id" },
        { name: "group", sdtype: "categorical" },
        { name: "value", sdtype: "numerical" },
      ],
    },
  };
}

const models = [
  ["ctgan", { epochs: 3, batch_size: 50, pac: 5 }],
  ["tvae", { epochs: 3, batch_size: 50 }],
] as const;

beforeAll(async () => {
  await initNodeBackend({ backend: "wasm" });
});

describe("Synthesizer.fit: sampling from the epoch callback", () => {
  for (const [model, modelConfig] of models) {
    it(`${model}: the final model is byte-identical with and without mid-fit samples, and no tensor leaks`, async () => {
      const { table: t, metadata } = table(200);
      const options = { model, modelConfig, seed: 5 };
      const plain = await Synthesizer.fit(t, metadata, options);
      const expected = JSON.stringify(await plain.sample(120, { seed: 9 }));
      plain.dispose();

      const before = tf.memory().numTensors;
      const mid: Table[] = [];
      const withSamples = await Synthesizer.fit(t, metadata, options, {
        onEpoch: async (p: FitEpoch) => {
          expect(p.sample).toBeTypeOf("function");
          // Two draws with other seeds than the final one, so a shared Rng would show.
          mid.push(await (p.sample as NonNullable<FitEpoch["sample"]>)(80, 100 + p.epoch));
          await p.sample?.(30, 1);
        },
      });
      expect(JSON.stringify(await withSamples.sample(120, { seed: 9 }))).toBe(expected);
      withSamples.dispose();
      expect(tf.memory().numTensors).toBe(before);

      expect(mid).toHaveLength(3);
      for (const s of mid) {
        expect(s.columns).toEqual(["id", "group", "value"]);
        expect(rowCount(s)).toBeLessThanOrEqual(80);
        expect(rowCount(s)).toBeGreaterThan(60);
        const groups = new Set(s.data[1]);
        for (const g of groups) expect(["a", "b"]).toContain(g);
        expect(s.data[2].every((v) => v === null || typeof v === "number")).toBe(true);
      }
      // The epochs' models differ (training moved on between them).
      expect(JSON.stringify(mid[0].data[2])).not.toBe(JSON.stringify(mid[2].data[2]));
    });
  }

  it("a mid-fit sample is reproducible: the same seed at the same epoch gives the same rows", async () => {
    const { table: t, metadata } = table(200);
    const at = async () => {
      let out = "";
      const s = await Synthesizer.fit(
        t,
        metadata,
        { model: "tvae", modelConfig: { epochs: 2, batch_size: 50 }, seed: 2 },
        {
          onEpoch: async (p) => {
            if (p.epoch === 1) out = JSON.stringify(await p.sample?.(50, 4));
          },
        },
      );
      s.dispose();
      return out;
    };
    const first = await at();
    expect(first.length).toBeGreaterThan(10);
    expect(await at()).toBe(first);
  });

  it("the Gaussian copula reports its one epoch without a sample", async () => {
    const { table: t, metadata } = table(100);
    const seen: FitEpoch[] = [];
    const s = await Synthesizer.fit(t, metadata, {}, { onEpoch: (p) => void seen.push(p) });
    expect(seen).toHaveLength(1);
    expect(seen[0].sample).toBeUndefined();
    s.dispose();
  });
});
