import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { synthInProcess } from "../../tests/cli/in-process.ts";

const PENGUINS = new URL("../../examples/penguins.csv", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "synth-optimize-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const synth = synthInProcess;

interface TrialOut {
  params: Record<string, unknown>;
  score: number | null;
  feasible: boolean;
  pruned: boolean;
  fit_s: number;
  fit_cpu_s: number;
  privacy: { dcr_baseline_protection: number | null; copy_share: number; real_copy_share: number } | null;
  reasons: string[];
  ml_efficacy: { efficacy: number } | null;
  intermediate?: { epoch: number; quality: number }[];
  epochs_trained?: number;
}
interface BestFile {
  study: { model: string; method: string; seed: number };
  best: (TrialOut & { index: number }) | null;
  trials: TrialOut[];
  pareto: { index: number; params: Record<string, unknown> }[];
}
const read = (path: string): BestFile => JSON.parse(readFileSync(path, "utf8")) as BestFile;
const copula = (method: string, trials: number, out: string, ...more: string[]) =>
  synth(
    "optimize",
    PENGUINS,
    "--model",
    "gaussian_copula",
    "--method",
    method,
    "--trials",
    String(trials),
    "--out",
    out,
    ...more,
  );

/** A random TVAE study of `trials` on the penguins over `space`. */
const tvae = (trials: number, space: string, out: string, ...more: string[]) =>
  synth(
    "optimize",
    PENGUINS,
    "--model",
    "tvae",
    "--method",
    "random",
    "--trials",
    String(trials),
    "--space",
    space,
    "--out",
    out,
    ...more,
  );

describe("synth optimize", () => {
  it("grid: best.json holds the best, every trial in the order run and the Pareto front; a live table on stderr", async () => {
    const out = join(dir, "grid.json");
    const { code, stderr } = await copula("grid", 4, out, "--privacy-floor", "0.1");
    expect(code, stderr).toBe(0);
    const r = read(out);
    expect(r.study).toMatchObject({ model: "gaussian_copula", method: "grid", seed: 0 });
    // The grid's order: the first dimension's levels outermost, every one of the 4 points once.
    expect(r.trials.map((t) => t.params)).toEqual([
      { enforceRounding: true, enforceMinMaxValues: true },
      { enforceRounding: true, enforceMinMaxValues: false },
      { enforceRounding: false, enforceMinMaxValues: true },
      { enforceRounding: false, enforceMinMaxValues: false },
    ]);
    for (const t of r.trials) {
      expect(t.score).toBeGreaterThan(0.5);
      expect(t.score).toBeLessThanOrEqual(1);
      expect(t.feasible).toBe(true);
      expect(t.pruned).toBe(false);
      expect(t.fit_s).toBeGreaterThan(0);
      expect(t.fit_cpu_s).toBeGreaterThan(0);
      expect(t.privacy?.dcr_baseline_protection).toBeGreaterThan(0.1);
    }
    const top = Math.max(...r.trials.map((t) => t.score as number));
    expect(r.best?.score).toBe(top);
    expect(r.trials[r.best!.index].params).toEqual(r.best!.params);
    expect(r.pareto.length).toBeGreaterThan(0);
    expect(r.pareto.map((p) => p.index)).toContain(r.best!.index);
    expect(stderr).toMatch(/score\s+fit_s\s+privacy\s+feasible\s+pruned\s+params/);
    expect(stderr.match(/^\s+\d+\s+0\.\d{3}\s/gm)).toHaveLength(4);
  });

  it("random: the same seed proposes the same sequence", async () => {
    const a = join(dir, "random-a.json");
    const b = join(dir, "random-b.json");
    expect((await copula("random", 3, a, "--seed", "11")).code).toBe(0);
    expect((await copula("random", 3, b, "--seed", "11")).code).toBe(0);
    const pa = read(a).trials.map((t) => t.params);
    expect(pa).toHaveLength(3);
    expect(new Set(pa.map((p) => JSON.stringify(p))).size).toBe(3);
    expect(read(b).trials.map((t) => t.params)).toEqual(pa);
    expect(read(b).trials.map((t) => t.score)).toEqual(read(a).trials.map((t) => t.score));
  });

  it("a privacy floor of 0.99 makes every trial infeasible: best is null", async () => {
    const out = join(dir, "floor.json");
    const { code, stderr } = await copula("grid", 2, out, "--privacy-floor", "0.99");
    expect(code, stderr).toBe(0);
    const r = read(out);
    expect(r.trials).toHaveLength(2);
    for (const t of r.trials) {
      expect(t.feasible).toBe(false);
      expect(t.reasons.join(" ")).toMatch(/below the floor 0.99/);
    }
    expect(r.best).toBeNull();
    expect(stderr).toMatch(/none feasible/);
  });

  it("resume: --trials N then N+2 on the same --out continues the study from its trials", async () => {
    const out = join(dir, "resume.json");
    const fresh = join(dir, "resume-fresh.json");
    expect((await copula("random", 2, out, "--seed", "5")).code).toBe(0);
    const first = read(out).trials;
    const again = await copula("random", 4, out, "--seed", "5");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resuming after 2 trials/);
    const resumed = read(out).trials;
    expect(resumed).toHaveLength(4);
    expect(resumed.slice(0, 2)).toEqual(first);
    // What a study run in one go would have proposed.
    expect((await copula("random", 4, fresh, "--seed", "5")).code).toBe(0);
    expect(resumed.map((t) => t.params)).toEqual(read(fresh).trials.map((t) => t.params));
    // Another study on the same file is refused rather than mixed in.
    const other = await copula("random", 4, out, "--seed", "6");
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/error CONFLICT/);
  });

  it("tvae (2 trials, 1-2 epochs) with ML efficacy, then generate --config best.json uses its params", async () => {
    const out = join(dir, "tvae.json");
    const { code, stderr } = await tvae(
      2,
      '{"epochs": [1, 2], "batch_size": [50, 100]}',
      out,
      "--objective",
      "mix",
      "--target",
      "species",
      "--seed",
      "3",
      "--backend",
      "cpu",
    );
    expect(code, stderr).toBe(0);
    const r = read(out);
    expect(r.trials).toHaveLength(2);
    for (const t of r.trials) {
      expect([1, 2]).toContain(t.params.epochs);
      expect(t.params.batch_size).toBeGreaterThanOrEqual(50);
      expect(t.ml_efficacy?.efficacy).toBeGreaterThanOrEqual(0);
    }
    expect(r.best).not.toBeNull();
    const csv = join(dir, "tvae.csv");
    // No --model: the model best.json was tuned for.
    const gen = await synth(
      "generate",
      PENGUINS,
      "--config",
      out,
      "--rows",
      "10",
      "--backend",
      "cpu",
      "--out",
      csv,
    );
    expect(gen.code, gen.stderr).toBe(0);
    expect(gen.stderr).toContain(`config (best.json best.params): model ${JSON.stringify(r.best!.params)}`);
    expect(gen.stderr).toMatch(new RegExp(`epoch ${r.best!.params.epochs}/${r.best!.params.epochs}`));
    expect(gen.stderr).toMatch(/\(tvae\)/);
    // An explicit flag overrides the configuration.
    const over = await synth(
      "generate",
      PENGUINS,
      "--config",
      out,
      "--epochs",
      "3",
      "--rows",
      "10",
      "--backend",
      "cpu",
      "--out",
      csv,
    );
    expect(over.code, over.stderr).toBe(0);
    expect(over.stderr).toMatch(/epoch 3\/3/);
    const mismatch = await synth("generate", PENGUINS, "--model", "ctgan", "--config", out, "--out", csv);
    expect(mismatch.stderr).toMatch(/error INVALID_MODEL_CONFIG: .*tuned for tvae/);
  });

  it("pruning (default): a seeded TVAE study stops trials below the median at a checkpoint, reproducibly", async () => {
    const study = (out: string, ...more: string[]) =>
      tvae(
        6,
        '{"epochs": [2, 6], "batch_size": [50, 200], "learning_rate": [1e-4, 1e-1]}',
        out,
        "--seed",
        "1",
        ...more,
      );
    const a = join(dir, "prune-a.json");
    const first = await study(a);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/median pruning at epochs 1, 2/);
    const r = read(a);
    expect(r.trials).toHaveLength(6);
    // The five warm-up trials train to the end, and record their curves at the checkpoints.
    for (const t of r.trials.slice(0, 5)) {
      expect(t.pruned).toBe(false);
      expect(t.intermediate?.map((p) => p.epoch)).toEqual([1, 2]);
    }
    const pruned = r.trials.filter((t) => t.pruned);
    expect(pruned.length).toBeGreaterThanOrEqual(1);
    for (const t of pruned) {
      expect(t.score).toBeNull();
      expect(t.feasible).toBe(false);
      expect(t.epochs_trained).toBeLessThan(t.params.epochs as number);
      expect(t.fit_cpu_s).toBeGreaterThan(0);
      expect(t.intermediate?.at(-1)?.epoch).toBe(t.epochs_trained);
      expect(t.reasons.join(" ")).toMatch(/^pruned at epoch \d of \d: holdout quality .* below the median/);
    }
    const prunedIndexes = r.trials.flatMap((t, i) => (t.pruned ? [i] : []));
    expect(prunedIndexes).not.toContain(r.best!.index);
    for (const p of r.pareto) expect(prunedIndexes).not.toContain(p.index);
    // The live table's pruned column.
    expect(first.stderr).toMatch(/^\s+\d+\s+n\/a\s+\d+\.\d{3}\s+n\/a\s+false\s+true\s/m);

    // The same seed, the same study: proposals, decisions, scores and curves, also when it is run in two goes
    // (the sixth trial's decision then rests on the curves read back from best.json).
    const b = join(dir, "prune-b.json");
    expect((await study(b, "--trials", "5")).code).toBe(0);
    const resumed = await study(b);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming after 5 trials/);
    const same = (x: BestFile) =>
      x.trials.map((t) => [t.params, t.pruned, t.score, t.intermediate, t.epochs_trained]);
    expect(same(read(b))).toEqual(same(r));

    // --no-prune: no checkpoint, and the trials that were not pruned score exactly the same without them.
    const c = join(dir, "prune-off.json");
    const off = await study(c, "--no-prune", "--trials", "2");
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).not.toMatch(/median pruning/);
    const offTrials = read(c).trials;
    expect(offTrials).toHaveLength(2);
    for (const [i, t] of offTrials.entries()) {
      expect(t.pruned).toBe(false);
      expect(t.intermediate).toBeUndefined();
      expect(t.score).toBe(r.trials[i].score);
    }
  });

  it("generate --config: a best.json's copula switches reach the transformer; inline JSON works too", async () => {
    const best = join(dir, "handmade.json");
    const bestFile = (enforceRounding: boolean) =>
      JSON.stringify({
        study: { model: "gaussian_copula" },
        best: { params: { enforceRounding, enforceMinMaxValues: true }, score: 0.8 },
        trials: [],
        pareto: [],
      });
    const flipper = (path: string): number[] => {
      const [header, ...lines] = readFileSync(path, "utf8").trim().split("\n");
      const at = header.split(",").findIndex((h) => h.replaceAll('"', "") === "flipper_length_mm");
      return lines.map((l) => Number(l.split(",")[at])).filter((v) => Number.isFinite(v));
    };
    writeFileSync(best, bestFile(false));
    const raw = join(dir, "raw.csv");
    expect((await synth("generate", PENGUINS, "--config", best, "--out", raw)).code).toBe(0);
    expect(flipper(raw).some((v) => !Number.isInteger(v))).toBe(true);
    const rounded = join(dir, "rounded.csv");
    const inline = await synth(
      "generate",
      PENGUINS,
      "--config",
      '{"enforceRounding": true}',
      "--out",
      rounded,
    );
    expect(inline.code, inline.stderr).toBe(0);
    expect(flipper(rounded).every((v) => Number.isInteger(v))).toBe(true);
    const bad = await synth("generate", PENGUINS, "--config", join(dir, "missing.json"), "--out", rounded);
    expect(bad.stderr).toMatch(/error INVALID_MODEL_CONFIG/);
  });

  it("--time-budget stops starting new trials", async () => {
    const out = join(dir, "budget.json");
    const { code, stderr } = await copula("grid", 4, out, "--time-budget", "0s");
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/time budget of 0s spent; 0 trials/);
    expect(read(out)).toMatchObject({ best: null, trials: [], pareto: [] });
  });

  it("bad input is a typed error before any trial", async () => {
    const out = join(dir, "bad.json");
    const cases: [string[], RegExp][] = [
      [["--method", "annealing", "--trials", "2"], /error VALIDATION_ERROR: --method is one of/],
      [["--method", "grid", "--trials", "0"], /error VALIDATION_ERROR: --trials must be a positive integer/],
      [
        ["--method", "grid", "--trials", "2", "--space", '{"epochs": "many"}'],
        /error VALIDATION_ERROR: invalid search space/,
      ],
      [
        ["--method", "grid", "--trials", "2", "--space", "{not json"],
        /error VALIDATION_ERROR: --space is not valid JSON/,
      ],
      [
        ["--method", "grid", "--trials", "2", "--time-budget", "soon"],
        /error VALIDATION_ERROR: --time-budget/,
      ],
      [
        ["--method", "grid", "--trials", "2", "--objective", "ml"],
        /error VALIDATION_ERROR: .*needs --target/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await synth("optimize", PENGUINS, "--model", "gaussian_copula", "--out", out, ...args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(() => readFileSync(out)).toThrow();
  });
});
