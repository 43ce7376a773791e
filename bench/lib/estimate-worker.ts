/**
 * One short fit in its own process (so peak RSS is this run's) for the fit-cost estimate
 * (bench/estimate.ts, shared/synth/estimate.ts): the reference protocol's training split, optionally
 * resized (`--rows-factor`: below 1 a seeded subsample, above 1 the rows repeated) and the batch set, fit
 * through Synthesizer (the pipeline the API runs), then `--sample` rows sampled. Prints one JSON line with
 * the transformed width, CTGAN's conditional width, seconds per epoch and the RSS at each stage.
 * Usage: node --import tsx bench/lib/estimate-worker.ts <dataset> <model> <epochs> [--rows-factor f]
 *        [--batch n] [--sample n]
 */
import * as tf from "@tensorflow/tfjs";
import { initNodeBackend } from "../../cli/tf-backend.ts";
import { takeRows } from "../../shared/data/table.ts";
import { createRng, permutation } from "../../shared/random.ts";
import { Synthesizer } from "../../shared/synth/synthesizer.ts";
import { modelKindSchema } from "../../shared/synth/models.ts";
import type { ColumnTransformInfo } from "../../shared/synth/matrix-model.ts";
import { loadProtocolDataset } from "./synth-protocol.ts";

const [dataset, modelArg, epochsArg, ...rest] = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
};
const model = modelKindSchema.parse(modelArg);
const epochs = Number(epochsArg);
const rowsFactor = Number(flag("--rows-factor") ?? 1);
const batch = flag("--batch") === undefined ? undefined : Number(flag("--batch"));
const rssMb = () => Math.round(process.memoryUsage().rss / 2 ** 20);

const backend = model === "gaussian_copula" ? null : await initNodeBackend({ backend: "wasm" });
const rssAfterInit = rssMb();
const data = await loadProtocolDataset(dataset);
const n = data.train.data[0].length;
const target = Math.max(2, Math.round(n * rowsFactor));
const indices =
  rowsFactor < 1
    ? Array.from(permutation(n, createRng(3)).subarray(0, target)).sort((a, b) => a - b)
    : Array.from({ length: target }, (_, i) => i % n);
const train = rowsFactor === 1 ? data.train : takeRows(data.train, indices);
const sampleRows = Number(flag("--sample") ?? train.data[0].length);
const rssAfterLoad = rssMb();
const epochTimes: number[] = [];
// CPU seconds of this process per epoch: the fit is single-threaded (wasm), so on a quiet machine this is
// the wall time, and it stays close to it when other jobs share the cores and inflate the wall time.
const epochCpu: number[] = [];
let lastCpu = process.cpuUsage();
let last = 0;
let tensorBytesPeak = 0;
const fitCpu0 = process.cpuUsage();
const synth = await Synthesizer.fit(
  train,
  data.metadata,
  {
    model,
    modelConfig:
      model === "gaussian_copula" ? {} : { epochs, ...(batch === undefined ? {} : { batch_size: batch }) },
    seed: 1,
  },
  {
    onEpoch: (p) => {
      epochTimes.push(p.elapsedMs - last);
      last = p.elapsedMs;
      const cpu = process.cpuUsage(lastCpu);
      epochCpu.push((cpu.user + cpu.system) / 1e6);
      lastCpu = process.cpuUsage();
      if (backend !== null) tensorBytesPeak = Math.max(tensorBytesPeak, tf.memory().numBytes);
    },
  },
);
const fitCpu = process.cpuUsage(fitCpu0);
const rssAfterFit = rssMb();
// Private parts, read for the benchmark only: the matrix layout the networks were sized by.
const parts = synth as unknown as {
  transformer?: { width: number; columns: ColumnTransformInfo[] };
  model?: { batchSize?: number };
};
const columns = parts.transformer?.columns ?? [];
const condWidth = columns
  .filter((c) => c.spans.length === 1 && c.spans[0].activation === "softmax")
  .reduce((s, c) => s + c.spans[0].dim, 0);
const modes = columns.filter((c) => c.kind === "continuous").map((c) => c.spans[1]?.dim ?? 0);
const batchSize = parts.model?.batchSize ?? null;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const sample = await synth.sample(sampleRows, { seed: 2 });
const sampleMs = performance.now() - t0;
const sampleCpu = process.cpuUsage(cpu0);
synth.dispose();
const stats = synth.stats;
const kinds = data.metadata.columns.map((c) => c.sdtype);
const categorical = data.metadata.columns.filter((c) => c.sdtype === "categorical").map((c) => c.name);
const categoriesTotal = categorical.reduce(
  (s, name) =>
    s + new Set(train.data[train.columns.indexOf(name)].filter((v) => v !== null).map(String)).size,
  0,
);
// The first epoch includes warm-up (tfjs kernels, wasm growth): the median of the others is the steady cost.
const steady = epochTimes.slice(1).sort((a, b) => a - b);
const median = steady.length === 0 ? null : steady[Math.floor((steady.length - 1) / 2)];
const steadyCpu = epochCpu.slice(1).sort((a, b) => a - b);
const medianCpu = steadyCpu.length === 0 ? null : steadyCpu[Math.floor((steadyCpu.length - 1) / 2)];
const round = (v: number | null, d = 3) => (v === null ? null : Number(v.toFixed(d)));
process.stdout.write(
  `${JSON.stringify({
    dataset,
    model,
    epochs: model === "gaussian_copula" ? null : epochs,
    rows_factor: rowsFactor,
    backend: backend === null ? null : `${backend.backend}${backend.simd ? "+simd" : ""}`,
    rows_fit: train.data[0].length,
    numerical: kinds.filter((k) => k === "numerical").length,
    categorical: categorical.length,
    categories_total: categoriesTotal,
    width: parts.transformer?.width ?? null,
    cond_width: parts.transformer ? condWidth : null,
    modes_per_numerical: modes,
    batch_size: batchSize,
    rows_sampled: sample.data[0]?.length ?? 0,
    transformer_s: round((stats?.transformerMs ?? 0) / 1000),
    epoch_s: epochTimes.map((t) => round(t / 1000)),
    first_epoch_s: model === "gaussian_copula" ? null : round((epochTimes[0] ?? 0) / 1000),
    s_per_epoch_median: model === "gaussian_copula" ? null : round((median ?? 0) / 1000),
    cpu_epoch_s: epochCpu.map((t) => round(t)),
    cpu_s_per_epoch_median: model === "gaussian_copula" ? null : round(medianCpu),
    fit_s: round((stats?.fitMs ?? 0) / 1000),
    fit_cpu_s: round((fitCpu.user + fitCpu.system) / 1e6),
    sample_s: round(sampleMs / 1000),
    sample_cpu_s: round((sampleCpu.user + sampleCpu.system) / 1e6),
    rss_after_init_mb: rssAfterInit,
    rss_after_load_mb: rssAfterLoad,
    rss_after_fit_mb: rssAfterFit,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    tensor_bytes_peak: tensorBytesPeak,
  })}\n`,
);
