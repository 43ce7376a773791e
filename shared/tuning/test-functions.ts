import type { SpaceInput } from "./space.ts";

/**
 * Standard global-optimisation test functions (Surjanovic & Bingham's Virtual Library of Simulation
 * Experiments, sfu.ca/~ssurjano), minimised, with their known optima.
 */
export interface TestFunction {
  name: string;
  space: SpaceInput;
  /** The arguments in the space's dimension order. */
  f(x: number[]): number;
  optimum: number;
}

const dims = (n: number, low: number, high: number): SpaceInput =>
  Object.fromEntries(Array.from({ length: n }, (_v, i) => [`x${i + 1}`, { type: "float", low, high }]));

export const branin: TestFunction = {
  name: "branin",
  space: { x1: { type: "float", low: -5, high: 10 }, x2: { type: "float", low: 0, high: 15 } },
  f: ([x1, x2]) => {
    const b = 5.1 / (4 * Math.PI * Math.PI);
    const c = 5 / Math.PI;
    const t = 1 / (8 * Math.PI);
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
  },
  // 10 - 10 (1 - t) cos... at (-pi, 12.275), (pi, 2.275), (9.42478, 2.475).
  optimum: 0.39788735772973816,
};

const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((r) => r.map((v) => v * 1e-4));

export const hartmann6: TestFunction = {
  name: "hartmann6",
  space: dims(6, 0, 1),
  f: (x) => {
    let s = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) inner += H_A[i][j] * (x[j] - H_P[i][j]) ** 2;
      s += H_ALPHA[i] * Math.exp(-inner);
    }
    return -s;
  },
  // At (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).
  optimum: -3.32236801141551,
};

export const rosenbrock5: TestFunction = {
  name: "rosenbrock5",
  space: dims(5, -2.048, 2.048),
  f: (x) => {
    let s = 0;
    for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1] - x[i] * x[i]) ** 2 + (1 - x[i]) ** 2;
    return s;
  },
  // At (1, ..., 1).
  optimum: 0,
};

export const TEST_FUNCTIONS = [branin, hartmann6, rosenbrock5] as const;

/**
 * The gap the bench measures: (best - optimum) / max(|optimum|, 1). "Within 1%" is a gap of 0.01: Branin
 * below 0.4079, Hartmann-6 below -3.2891, Rosenbrock-5 below 0.01 (the max(.., 1) keeps a zero optimum
 * meaningful: an absolute 0.01 there).
 */
export function relativeGap(best: number, optimum: number): number {
  return (best - optimum) / Math.max(Math.abs(optimum), 1);
}
