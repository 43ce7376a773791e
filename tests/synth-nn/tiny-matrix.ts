/**
 * Small training matrices with a known structure for the neural-model tests: a continuous column (tanh
 * scalar + 2 modes) whose mode follows a discrete column with skewed levels, and a second discrete column.
 */
import { createRng } from "../../shared/random.ts";
import type { ColumnTransformInfo, TrainingMatrix } from "../../shared/synth/matrix-model.ts";

export const TINY_COLUMNS: ColumnTransformInfo[] = [
  {
    column: "x",
    kind: "continuous",
    spans: [
      { dim: 1, activation: "tanh" },
      { dim: 2, activation: "softmax" },
    ],
  },
  { column: "level", kind: "discrete", spans: [{ dim: 3, activation: "softmax" }] },
  { column: "flag", kind: "discrete", spans: [{ dim: 2, activation: "softmax" }] },
];

/** Base rates of "level" (columnIndex 1). */
export const LEVEL_RATES = [0.85, 0.12, 0.03];

export function tinyMatrix(rows: number, seed = 1): TrainingMatrix {
  const rng = createRng(seed);
  const width = 8;
  const data = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const u = rng.next();
    const level = u < LEVEL_RATES[0] ? 0 : u < LEVEL_RATES[0] + LEVEL_RATES[1] ? 1 : 2;
    const mode = level === 0 ? 0 : 1;
    const base = r * width;
    data[base] = Math.max(-0.99, Math.min(0.99, (mode === 0 ? -0.5 : 0.5) + 0.1 * rng.normal()));
    data[base + 1 + mode] = 1;
    data[base + 3 + level] = 1;
    data[base + 6 + (rng.next() < 0.3 ? 1 : 0)] = 1;
  }
  return { data, rows, width, columns: TINY_COLUMNS };
}

/** Argmax inside [start, start + dim) of each row. */
export function argmaxes(matrix: Float32Array, width: number, start: number, dim: number): number[] {
  const rows = matrix.length / width;
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let j = 1; j < dim; j++)
      if (matrix[r * width + start + j] > matrix[r * width + start + best]) best = j;
    return best;
  });
}
