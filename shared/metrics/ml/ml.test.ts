import { describe, expect, it } from "vitest";
import { fromRows, type Cell } from "../../data/table.ts";
import type { TableMetadata } from "../../data/metadata.ts";
import { createRng } from "../../random.ts";
import { GradientBoosting } from "./gradient-boosting.ts";
import { evaluate } from "../evaluate.ts";
import { MAX_TARGET_CLASSES, mlEfficacy } from "./ml-efficacy.ts";
import { macroF1, r2Score } from "./scores.ts";

describe("scores", () => {
  it("computes macro F1 as scikit-learn does", () => {
    // sklearn.metrics.f1_score(["a","a","b","c"], ["a","b","b","b"], average="macro") = (2/3 + 1/2 + 0) / 3
    expect(macroF1(["a", "a", "b", "c"], ["a", "b", "b", "b"])).toBeCloseTo((2 / 3 + 1 / 2) / 3, 12);
    expect(macroF1(["x", "y"], ["x", "y"])).toBe(1);
  });

  it("computes R2", () => {
    expect(r2Score(new Float64Array([1, 2, 3]), new Float64Array([1, 2, 3]))).toBe(1);
    // mean prediction -> 0; sklearn r2_score([1,2,3],[2,2,2]) = 0
    expect(r2Score(new Float64Array([1, 2, 3]), new Float64Array([2, 2, 2]))).toBe(0);
    expect(r2Score(new Float64Array([1, 2, 3]), new Float64Array([3, 2, 1]))).toBeCloseTo(-3, 12);
  });
});

describe("gradient boosting", () => {
  const rng = createRng(11);
  const n = 600;
  const x = new Float64Array(n * 2);
  const yReg = new Float64Array(n);
  const yCls = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.next() * 4 - 2;
    const b = rng.next() * 4 - 2;
    x[i * 2] = a;
    x[i * 2 + 1] = b;
    yReg[i] = Math.sin(a) * 2 + (b > 0 ? 1 : -1) + 0.05 * rng.normal();
    yCls[i] = a * a + b * b < 1.5 ? 0 : a > 0 ? 1 : 2;
  }

  it("fits a non-linear regression (training R2 > 0.95)", () => {
    const model = new GradientBoosting({ task: "regression" }).fit(x, n, 2, yReg, 0, createRng(1));
    expect(r2Score(yReg, model.predict(x, n, 2))).toBeGreaterThan(0.95);
  });

  it("separates three classes and two classes", () => {
    const multi = new GradientBoosting({ task: "classification" }).fit(x, n, 2, yCls, 3, createRng(1));
    const predicted = multi.predict(x, n, 2);
    let correct = 0;
    for (let i = 0; i < n; i++) if (predicted[i] === yCls[i]) correct++;
    expect(correct / n).toBeGreaterThan(0.95);
    const yBin = yCls.map((v) => (v === 0 ? 0 : 1));
    const binary = new GradientBoosting({ task: "classification" }).fit(x, n, 2, yBin, 2, createRng(1));
    const p2 = binary.predict(x, n, 2);
    let ok = 0;
    for (let i = 0; i < n; i++) if (p2[i] === yBin[i]) ok++;
    expect(ok / n).toBeGreaterThan(0.95);
  });

  it("is deterministic for a seed, with row subsampling", () => {
    const fit = (seed: number) =>
      new GradientBoosting({ task: "regression", subsample: 0.5, nEstimators: 20 })
        .fit(x, n, 2, yReg, 0, createRng(seed))
        .predict(x, n, 2);
    expect(Array.from(fit(3))).toEqual(Array.from(fit(3)));
    expect(Array.from(fit(3))).not.toEqual(Array.from(fit(4)));
  });
});

describe("ML efficacy", () => {
  const meta: TableMetadata = {
    columns: [
      { name: "x", sdtype: "numerical" },
      { name: "c", sdtype: "categorical" },
      { name: "label", sdtype: "categorical" },
      { name: "amount", sdtype: "numerical" },
    ],
  };
  const make = (seed: number, n: number, informative: boolean) => {
    const rng = createRng(seed);
    return fromRows(
      ["x", "c", "label", "amount"],
      Array.from({ length: n }, (): Cell[] => {
        const x = rng.normal();
        const c = ["u", "v", "w"][rng.int(3)];
        const signal = informative ? x + (c === "u" ? 1 : 0) : rng.normal();
        return [rng.next() < 0.05 ? null : x, c, signal > 0.3 ? "yes" : "no", 10 * signal + rng.normal()];
      }),
    );
  };

  it("scores a useful synthetic table close to real and a useless one low (classification)", () => {
    const train = make(1, 800, true);
    const test = make(2, 400, true);
    // Without "amount", which is the label's own signal and would leak it.
    const features: TableMetadata = { columns: meta.columns.filter((c) => c.name !== "amount") };
    const good = mlEfficacy(train, make(3, 800, true), test, features, "label", createRng(1));
    const bad = mlEfficacy(train, make(4, 800, false), test, features, "label", createRng(1));
    expect(good.metric).toBe("macro_f1");
    expect(good.real).toBeGreaterThan(0.85);
    expect(good.synthetic).toBeGreaterThan(good.real - 0.05);
    expect(bad.synthetic).toBeLessThan(0.65);
  });

  it("uses R2 for a numerical target", () => {
    const result = mlEfficacy(
      make(5, 800, true),
      make(6, 800, true),
      make(7, 400, true),
      meta,
      "amount",
      createRng(1),
    );
    expect(result.metric).toBe("r2");
    expect(result.real).toBeGreaterThan(0.8);
  });
});

describe("ML efficacy on a target with 400 classes", () => {
  const meta: TableMetadata = {
    columns: [
      { name: "x", sdtype: "numerical" },
      { name: "code", sdtype: "categorical" },
    ],
  };
  /** Every one of 400 classes twice, then 400 rows skewed towards the first 100: x tells the class. */
  const make = (seed: number) => {
    const rng = createRng(seed);
    const rows: Cell[][] = [];
    const add = (k: number) => rows.push([k / 400 + 0.001 * rng.normal(), `k${k}`]);
    for (let k = 0; k < 400; k++) for (let r = 0; r < 2; r++) add(k);
    for (let i = 0; i < 400; i++) add(Math.floor(100 * rng.next() ** 2));
    return fromRows(["x", "code"], rows);
  };

  it("trains on the 50 most frequent classes, groups the other 350 and says so in the report", () => {
    const report = evaluate(make(1), make(2), meta, {
      target: "code",
      holdout: make(3),
      privacy: false,
      seed: 0,
    });
    const ml = report.mlEfficacy!;
    expect(ml.task).toBe("classification");
    expect(ml.classCap).toEqual({
      classes: 400,
      kept: MAX_TARGET_CLASSES,
      grouped: 350,
      otherTestShare: expect.any(Number),
    });
    expect(MAX_TARGET_CLASSES).toBe(50);
    // At least 350 classes x 2 rows of the 1 200 test rows are grouped, plus skewed rows of rare classes.
    expect(ml.classCap!.otherTestShare).toBeGreaterThan(0.55);
    expect(ml.classCap!.otherTestShare).toBeLessThan(0.8);
    expect(
      report.notes.some((n) =>
        n.startsWith(
          'The target "code" has 400 classes: ML efficacy trains on the 50 most frequent and groups the other 350 as one class',
        ),
      ),
    ).toBe(true);
    expect(ml.real).toBeGreaterThan(0.3);
    // Gradient boosting still grows 51 trees a stage: generous for a loaded 2-core machine.
  }, 180_000);
});
