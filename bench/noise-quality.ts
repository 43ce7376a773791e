/**
 * `npm run bench -- noise-quality [--datasets attrition] [--models ctgan,tvae] [--epochs 30] [--seeds 1,2,3]
 *  [--variants default,per-value-noise,two-threads,span-loss-op-chain,libm-unary]`: quality at equal epochs with the
 * bulk noise streams (default), the previous per-value ones (nn/random.ts usePerValueNoise), data-parallel
 * steps over two threads (cli/fit-replica.ts; CTGAN's batch norm is then per share) and the span
 * cross-entropy as tfjs ops instead of the fused kernel (cli/wasm-span-loss.ts) and exp and tanh as
 * tfjs-wasm's libm kernels (cli/wasm-unary.ts), so a change of noise stream, thread count or kernel is
 * shown not to move quality: per variant, the quality scores (all pairs and SDMetrics 0.29's related pairs) of several
 * seeds on the same 70% split, their mean and spread. Cheaper than the quality suite: no privacy, ML
 * efficacy or guard, the scores only.
 */
import { loadavg } from "node:os";
import { nodeParallelFit } from "../cli/fit-replica.ts";
import { initNodeBackend } from "../cli/tf-backend.ts";
import { forceLibmUnary } from "../cli/wasm-unary.ts";
import { evaluate } from "../shared/metrics/evaluate.ts";
import { forceSpanCrossEntropyOpChain } from "../shared/synth/nn/layout.ts";
import { usePerValueNoise } from "../shared/synth/nn/random.ts";
import { Synthesizer } from "../shared/synth/synthesizer.ts";
import { rowCount } from "../shared/data/table.ts";
import { arg } from "./lib/args.ts";
import { loadDataset } from "./lib/dataset-matrix.ts";

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return {
    mean: Number(mean.toFixed(4)),
    sd: Number(sd.toFixed(4)),
    min: Math.min(...xs),
    max: Math.max(...xs),
  };
};

export async function run(args: string[]): Promise<unknown> {
  const datasets = arg(args, "datasets", "attrition").split(",");
  const models = arg(args, "models", "ctgan,tvae").split(",") as ("ctgan" | "tvae")[];
  const epochs = Number(arg(args, "epochs", "30"));
  const seeds = arg(args, "seeds", "1,2,3").split(",").map(Number);
  const variants = arg(args, "variants", "default,per-value-noise").split(",");
  await initNodeBackend({ backend: "wasm" });
  const runs: {
    dataset: string;
    model: string;
    variant: string;
    seed: number;
    all_pairs: number;
    related: number;
  }[] = [];
  for (const name of datasets) {
    const { table, metadata } = loadDataset(name);
    for (const model of models) {
      // Seeds outer, variants inner: the variants of a seed run back to back.
      for (const seed of seeds) {
        for (const variant of variants) {
          usePerValueNoise(variant === "per-value-noise");
          forceSpanCrossEntropyOpChain(variant === "span-loss-op-chain");
          forceLibmUnary(variant === "libm-unary");
          const parallel = variant === "two-threads" ? nodeParallelFit(2) : undefined;
          const synth = await Synthesizer.fit(
            table,
            metadata,
            { model, modelConfig: { epochs }, seed },
            parallel ? { parallel } : {},
          );
          const sample = await synth.sample(rowCount(table), { seed: seed + 100, privacy: { guard: false } });
          const report = evaluate(table, sample, metadata, { privacy: false, mlEfficacy: false });
          const row = {
            dataset: name,
            model,
            variant,
            seed,
            all_pairs: Number((report.quality.allPairs.overall ?? NaN).toFixed(4)),
            related: Number((report.quality.relatedPairs.overall ?? NaN).toFixed(4)),
          };
          process.stderr.write(`${JSON.stringify({ ...row, load: loadavg()[0].toFixed(2) })}\n`);
          runs.push(row);
        }
      }
    }
  }
  usePerValueNoise(false);
  forceSpanCrossEntropyOpChain(false);
  forceLibmUnary(false);
  const keys = [...new Set(runs.map((r) => `${r.dataset}|${r.model}|${r.variant}`))];
  const summary = keys.map((k) => {
    const [dataset, model, variant] = k.split("|");
    const mine = runs.filter((r) => r.dataset === dataset && r.model === model && r.variant === variant);
    return {
      dataset,
      model,
      variant,
      seeds: mine.map((r) => r.seed),
      all_pairs: stats(mine.map((r) => r.all_pairs)),
      related_pairs: stats(mine.map((r) => r.related)),
    };
  });
  return { epochs, summary, runs };
}
