/**
 * One benchmark run in its own process (so peak RSS is this run's): fit one model on one dataset under the
 * reference protocol, sample the full row count, score quality, print one JSON line.
 * Usage: node --import tsx bench/lib/synth-worker.ts <dataset> <model> <epochs>
 */
import { initNodeBackend } from "../../cli/tf-backend.ts";
import { qualityReport } from "../../shared/metrics/quality.ts";
import { Synthesizer } from "../../shared/synth/synthesizer.ts";
import { modelKindSchema } from "../../shared/synth/models.ts";
import { loadProtocolDataset } from "./synth-protocol.ts";

const [dataset, modelArg, epochsArg] = process.argv.slice(2);
const model = modelKindSchema.parse(modelArg);
const epochs = Number(epochsArg);
const backend = model === "gaussian_copula" ? null : await initNodeBackend({ backend: "wasm" });
const data = await loadProtocolDataset(dataset);
const epochTimes: number[] = [];
let last = 0;
const synth = await Synthesizer.fit(
  data.train,
  data.metadata,
  { model, modelConfig: model === "gaussian_copula" ? {} : { epochs }, seed: 1 },
  {
    onEpoch: (p) => {
      epochTimes.push(p.elapsedMs - last);
      last = p.elapsedMs;
    },
  },
);
const stats = synth.stats;
const t0 = performance.now();
const sample = await synth.sample(data.fullRows, { seed: 2 });
const sampleMs = performance.now() - t0;
// The same sample without the privacy guard, which the reference does not have (timed second, so warm).
const t1 = performance.now();
await synth.sample(data.fullRows, { seed: 2, privacy: { guard: false } });
const sampleGuardOffMs = performance.now() - t1;
synth.dispose();
const sorted = [...epochTimes].sort((a, b) => a - b);
const median = sorted.length === 0 ? null : sorted[Math.floor((sorted.length - 1) / 2)];
const quality = qualityReport(data.train, sample, data.metadata);
const round = (v: number | null, d = 3) => (v === null ? null : Number(v.toFixed(d)));
process.stdout.write(
  `${JSON.stringify({
    dataset,
    model,
    epochs: model === "gaussian_copula" ? null : epochs,
    backend: backend === null ? null : `${backend.backend}${backend.simd ? "+simd" : ""}`,
    rows_fit: data.train.data[0].length,
    rows_sampled: sample.data[0]?.length ?? 0,
    transformer_s: round((stats?.transformerMs ?? 0) / 1000),
    s_per_epoch_median: model === "gaussian_copula" ? null : round((median ?? 0) / 1000),
    fit_s: round((stats?.fitMs ?? 0) / 1000),
    sample_s: round(sampleMs / 1000),
    sample_guard_off_s: round(sampleGuardOffMs / 1000),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    quality_sdmetrics_0_29: round(quality.relatedPairs.overall, 4),
    quality_all_pairs: round(quality.allPairs.overall, 4),
    column_shapes: round(quality.allPairs.columnShapes, 4),
  })}\n`,
);
