import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initNodeBackend } from "../../../cli/tf-backend.ts";
import { createRng } from "../../random.ts";
import type { ColumnTransformInfo } from "../matrix-model.ts";
import {
  activateSpans,
  buildLayout,
  fromInternal,
  setSpanGrouping,
  spanCrossEntropySum,
  toInternal,
} from "./layout.ts";

const columns: ColumnTransformInfo[] = [
  {
    column: "a",
    kind: "continuous",
    spans: [
      { dim: 1, activation: "tanh" },
      { dim: 3, activation: "softmax" },
    ],
  },
  { column: "b", kind: "discrete", spans: [{ dim: 2, activation: "softmax" }] },
  {
    column: "c",
    kind: "continuous",
    spans: [
      { dim: 1, activation: "tanh" },
      { dim: 2, activation: "softmax" },
    ],
  },
  { column: "d", kind: "discrete", spans: [{ dim: 3, activation: "softmax" }] },
];
const width = 12;

beforeAll(async () => {
  await initNodeBackend({ backend: "wasm", fallback: false });
});

describe("span layout", () => {
  it("puts tanh columns first and groups softmax spans by size", () => {
    const layout = buildLayout(columns, width);
    expect(layout.tanhCount).toBe(2);
    expect(Array.from(layout.order)).toEqual([0, 6, 4, 5, 7, 8, 1, 2, 3, 9, 10, 11]);
    expect(layout.blocks).toEqual([
      { size: 2, count: 2, start: 0 },
      { size: 3, count: 2, start: 4 },
    ]);
    expect(layout.discrete.map((d) => [d.columnIndex, d.dataStart, d.softmaxStart, d.condStart])).toEqual([
      [1, 4, 0, 0],
      [3, 9, 7, 2],
    ]);
    expect(layout.condWidth).toBe(5);
  });

  it("rejects spans that do not cover the matrix", () => {
    expect(() => buildLayout(columns, 13)).toThrow(/cover 12 columns/);
  });

  it("permutes rows to the internal layout and back exactly", () => {
    const layout = buildLayout(columns, width);
    const rng = createRng(1);
    const data = Float32Array.from({ length: 3 * width }, () => rng.normal());
    expect(Array.from(fromInternal(toInternal(data, 3, layout), 3, layout))).toEqual(Array.from(data));
  });

  it("activates tanh spans in [-1, 1] and softmax spans summing to 1, grouped or span by span alike", () => {
    const rng = createRng(2);
    const rows = 7;
    const logits = tf.tensor2d(
      Float32Array.from({ length: rows * width }, () => 30 * rng.normal()),
      [rows, width],
    );
    const gumbel = tf.tensor2d(
      Float32Array.from({ length: rows * 10 }, () => rng.normal()),
      [rows, 10],
    );
    const outputs: Float32Array[] = [];
    for (const grouped of [true, false]) {
      setSpanGrouping(grouped);
      const layout = buildLayout(columns, width);
      outputs.push(tf.tidy(() => activateSpans(logits, layout, gumbel, 0.2).dataSync() as Float32Array));
    }
    setSpanGrouping(true);
    const layout = buildLayout(columns, width);
    const out = fromInternal(outputs[0], rows, layout);
    for (let r = 0; r < rows; r++) {
      const row = out.subarray(r * width, (r + 1) * width);
      for (const j of [0, 6]) expect(Math.abs(row[j])).toBeLessThanOrEqual(1);
      for (const [s, e] of [
        [1, 4],
        [4, 6],
        [7, 9],
        [9, 12],
      ]) {
        const sum = row.subarray(s, e).reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(1, 5);
        expect(row.subarray(s, e).every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
      }
    }
    expect(Array.from(outputs[1])).toEqual(Array.from(outputs[0]));
    tf.dispose([logits, gumbel]);
  });

  it("sums per-span cross-entropies like a span-by-span computation", () => {
    const layout = buildLayout(columns, width);
    const rng = createRng(3);
    const rows = 4;
    const logitsData = Float32Array.from({ length: rows * width }, () => 3 * rng.normal());
    const targetData = new Float32Array(rows * layout.softmaxWidth);
    let expected = 0;
    for (let r = 0; r < rows; r++) {
      for (const b of layout.blocks) {
        for (let k = 0; k < b.count; k++) {
          const at = b.start + k * b.size;
          const level = rng.int(b.size);
          targetData[r * layout.softmaxWidth + at + level] = 1;
          const z = Array.from(
            { length: b.size },
            (_, j) => logitsData[r * width + layout.tanhCount + at + j],
          );
          const lse = Math.log(z.reduce((a, v) => a + Math.exp(v), 0));
          expected += lse - z[level];
        }
      }
    }
    const ce = tf.tidy(
      () =>
        spanCrossEntropySum(
          tf.tensor2d(logitsData, [rows, width]),
          layout,
          tf.tensor2d(targetData, [rows, layout.softmaxWidth]),
        ).dataSync()[0],
    );
    expect(ce).toBeCloseTo(expected, 3);
  });
});
