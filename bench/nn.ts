/**
 * `npm run bench -- nn [--models ctgan,tvae] [--datasets credit_data,wa_churn,CPS1988,attrition,mlc_churn,Chicago]
 *  [--epochs 4] [--rounds 1] [--batch-size B] [--variants default,one-thread,two-threads,intra-op,
 *  adam-op-chain,span-loss-op-chain,xnnpack-matmul,libm-unary,no-kernels,no-few-row-grad,per-value-noise,no-issue13,stock-matmul-grad,
 *  per-span,cpu]`: s/epoch of
 * the neural models (median of the epochs after the first, which includes warm-up) on the shared datasets
 * and the wide fixtures (bench/fixtures, made by make-fixtures.R: an error says how when they are missing),
 * prepared by the project's transformer under the reference protocol, for tfjs wasm (SIMD) with every
 * speed-up, without each one, and on the pure-JS cpu backend; compared with the Python reference
 * (shared/reference/reference.json) where it has the table. The machine is shared: quote medians and the
 * load average, compare variants of one run, rerun when it is quiet. `default` is what a user gets
 * (`--threads auto`, cli/fit-replica.ts: two data-parallel threads on two cores at 10 000+ rows per epoch,
 * else one); `one-thread` and `two-threads`
 * (data-parallel) force the count, `intra-op` runs both models on two XNNPACK pool threads
 * (cli/tf-wasm-threads.ts), `adam-op-chain` / `span-loss-op-chain` / `no-kernels` are one thread with Adam,
 * the span cross-entropy or both as tfjs ops instead of our wasm kernels (cli/wasm-adam.ts,
 * cli/wasm-span-loss.ts), `xnnpack-matmul` one thread with tfjs-wasm's XNNPACK products instead of
 * native/gemm.c (cli/wasm-matmul.ts), `libm-unary` with tfjs-wasm's exp and tanh instead of native/unary.c
 * (cli/wasm-unary.ts); `no-kernels` has all four off. CPU seconds are the whole process's, every thread included.
 * `--batch-size 500` trains at the reference's batch (TVAE's own default is at most a tenth of the rows).
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs";
import { nodeParallelFit, type ThreadSetting } from "../cli/fit-replica.ts";
import { initNodeBackend } from "../cli/tf-backend.ts";
import { selectIntraOpThreads } from "../cli/tf-wasm-threads.ts";
import { forceXnnpackMatMul } from "../cli/wasm-matmul.ts";
import { forceLibmUnary } from "../cli/wasm-unary.ts";
import { createRng } from "../shared/random.ts";
import { CTGAN } from "../shared/synth/ctgan.ts";
import type { ParallelFit } from "../shared/synth/matrix-model.ts";
import { forceAdamOpChain } from "../shared/synth/nn/adam.ts";
import { forceSpanCrossEntropyOpChain, setSpanGrouping } from "../shared/synth/nn/layout.ts";
import { usePerValueNoise } from "../shared/synth/nn/random.ts";
import { TVAE } from "../shared/synth/tvae.ts";
import { arg, median } from "./lib/args.ts";
import { loadDataset } from "./lib/dataset-matrix.ts";

interface Variant {
  name: string;
  backend: "wasm" | "cpu";
  explicitTransposeMatMul: boolean;
  fewRowInputGradient: boolean;
  groupSpans: boolean;
  perValueNoise: boolean;
  threads: ThreadSetting;
  /** Both models on two intra-op threads (cli/tf-wasm-threads.ts), never replicas: to measure the option. */
  intraOp?: boolean;
  /** One thread, Adam as the chain of tfjs ops instead of the fused kernel (cli/wasm-adam.ts). */
  adamOpChain?: boolean;
  /** One thread, the span cross-entropy as tfjs ops instead of the fused kernels (cli/wasm-span-loss.ts). */
  spanLossOpChain?: boolean;
  /** One thread, every matmul through tfjs-wasm's XNNPACK instead of native/gemm.c (cli/wasm-matmul.ts). */
  xnnpackMatMul?: boolean;
  /** One thread, exp and tanh through tfjs-wasm's libm kernels instead of native/unary.c (cli/wasm-unary.ts). */
  libmUnary?: boolean;
}

const WASM = {
  backend: "wasm",
  explicitTransposeMatMul: true,
  fewRowInputGradient: true,
  groupSpans: true,
  perValueNoise: false,
  threads: 1,
} as const;

const VARIANTS: Record<string, Variant> = {
  default: { ...WASM, name: "default", threads: "auto" },
  "one-thread": { ...WASM, name: "one-thread" },
  "two-threads": { ...WASM, name: "two-threads", threads: 2 },
  "intra-op": { ...WASM, name: "intra-op", threads: 2, intraOp: true },
  "adam-op-chain": { ...WASM, name: "adam-op-chain", adamOpChain: true },
  "span-loss-op-chain": { ...WASM, name: "span-loss-op-chain", spanLossOpChain: true },
  "no-kernels": {
    ...WASM,
    name: "no-kernels",
    adamOpChain: true,
    spanLossOpChain: true,
    xnnpackMatMul: true,
    libmUnary: true,
  },
  "xnnpack-matmul": { ...WASM, name: "xnnpack-matmul", xnnpackMatMul: true },
  "libm-unary": { ...WASM, name: "libm-unary", libmUnary: true },
  "no-few-row-grad": { ...WASM, name: "no-few-row-grad", fewRowInputGradient: false },
  "stock-matmul-grad": {
    ...WASM,
    name: "stock-matmul-grad",
    explicitTransposeMatMul: false,
    fewRowInputGradient: false,
  },
  "per-span": { ...WASM, name: "per-span", groupSpans: false },
  "per-value-noise": { ...WASM, name: "per-value-noise", perValueNoise: true },
  // Both switchable speed-ups of issue 13 off (the tidy read-back and ziggurat changes cannot be switched).
  "no-issue13": { ...WASM, name: "no-issue13", fewRowInputGradient: false, perValueNoise: true },
  cpu: { ...WASM, name: "cpu", backend: "cpu" },
};

/**
 * The fit's parallel control for a variant. `auto` is judged as for a 300-epoch fit of the table (the
 * bench's few epochs would always fall under auto's minimum fit size), by its rows per epoch.
 */
function parallelFor(v: Variant): { parallel?: ParallelFit } {
  const { threads } = v;
  if (v.intraOp) {
    const spawn = () => {
      throw new Error("the intra-op variant starts no replicas");
    };
    return {
      parallel: { threads: 2, spawn, minCells: Infinity, intraOp: () => selectIntraOpThreads(2) },
    };
  }
  const parallel = nodeParallelFit(threads);
  if (parallel === undefined) return {};
  return { parallel: threads === "auto" ? { ...parallel, minCells: 0 } : parallel };
}

interface ReferenceRow {
  dataset: string;
  model: string;
  epochs: number;
  machine_load: string;
  rows_fit: number;
  transformed_dim: number;
  s_per_epoch_median: number;
}

type Row = { dataset: string; model: string; variant: string; s_per_epoch_median: number } & Record<
  string,
  unknown
>;

/** Per dataset, model and variant: the median over rounds of s/epoch, CPU s/epoch and sample seconds. */
function summarise(rows: Row[]) {
  const keys = [...new Set(rows.map((r) => `${r.dataset}|${r.model}|${r.variant}`))];
  return keys.map((key) => {
    const [dataset, model, variant] = key.split("|");
    const mine = rows.filter((r) => r.dataset === dataset && r.model === model && r.variant === variant);
    const med = (k: string) => Number(median(mine.map((r) => r[k] as number)).toFixed(3));
    const ref = mine[0].reference_s_per_epoch as number | null;
    return {
      dataset,
      model,
      variant,
      rounds: mine.length,
      s_per_epoch: med("s_per_epoch_median"),
      cpu_s_per_epoch: med("cpu_s_per_epoch_median"),
      sample_s: med("sample_s"),
      load_avg_1m: mine.map((r) => r.load_avg_1m_at_start),
      ratio_to_reference: ref === null ? null : Number((med("s_per_epoch_median") / ref).toFixed(3)),
      cpu_ratio_to_reference: ref === null ? null : Number((med("cpu_s_per_epoch_median") / ref).toFixed(3)),
    };
  });
}

export async function run(args: string[]): Promise<unknown> {
  const models = arg(args, "models", "ctgan,tvae").split(",");
  const datasets = arg(args, "datasets", "credit_data,wa_churn,CPS1988,attrition,mlc_churn,Chicago").split(
    ",",
  );
  const epochs = Number(arg(args, "epochs", "4"));
  // --batch-size 500: the reference's batch for TVAE too (ours defaults to a tenth of the rows at most).
  const batch = arg(args, "batch-size", "");
  const batchOption = batch === "" ? {} : { batch_size: Number(batch) };
  // The pure-JS backend is about 10x slower: fewer epochs (the first is warm-up, the rest give the median).
  const cpuEpochs = Number(arg(args, "cpu-epochs", "2"));
  // Rounds run the variants in turn (A B A B ...): on a shared machine the load drifts between runs, and
  // interleaving spreads that drift over every variant instead of charging it to whichever ran later.
  const rounds = Number(arg(args, "rounds", "1"));
  const variants = arg(
    args,
    "variants",
    "default,one-thread,two-threads,no-few-row-grad,per-value-noise,stock-matmul-grad,per-span,cpu",
  )
    .split(",")
    .map((v) => {
      if (VARIANTS[v] === undefined)
        throw new Error(`unknown variant ${v}: ${Object.keys(VARIANTS).join(", ")}`);
      return VARIANTS[v];
    });
  // The shared reference, and ours of the wide fixtures (bench/python-reference) for the tables it lacks.
  const reference = [
    ...(JSON.parse(readFileSync("/work/shared/reference/reference.json", "utf8")) as ReferenceRow[]),
    ...(
      JSON.parse(readFileSync(new URL("./reference-wide.json", import.meta.url), "utf8")) as {
        rows: ReferenceRow[];
      }
    ).rows,
  ];
  const results: unknown[] = [];
  for (const name of datasets) {
    const ds = loadDataset(name);
    for (const modelName of models) {
      // Per-epoch figures: the 300-epoch run where there is one (attrition's reference ran 100).
      const refs = reference.filter((r) => r.dataset === name && r.model === modelName);
      const ref = refs.find((r) => r.epochs === 300) ?? refs[0];
      for (let round = 0; round < rounds; round++)
        for (const v of variants) {
          const info = await initNodeBackend({
            backend: v.backend,
            explicitTransposeMatMul: v.explicitTransposeMatMul,
            fewRowInputGradient: v.fewRowInputGradient,
          });
          setSpanGrouping(v.groupSpans);
          usePerValueNoise(v.perValueNoise);
          forceAdamOpChain(v.adamOpChain === true);
          forceSpanCrossEntropyOpChain(v.spanLossOpChain === true);
          forceXnnpackMatMul(v.xnnpackMatMul === true);
          forceLibmUnary(v.libmUnary === true);
          const n = v.backend === "cpu" ? cpuEpochs : epochs;
          const model: CTGAN | TVAE =
            modelName === "ctgan"
              ? new CTGAN({ epochs: n, ...batchOption })
              : new TVAE({ epochs: n, ...batchOption });
          const times: number[] = [];
          // CPU seconds of this process per epoch (every thread): for one thread close to the quiet-machine wall
          // time even when other jobs share the two cores, which inflate the wall time.
          const cpuTimes: number[] = [];
          let last = 0;
          let lastCpu = process.cpuUsage();
          const load = loadavg()[0];
          await model.fit(ds.matrix, {
            rng: createRng(7),
            ...parallelFor(v),
            onEpoch: (p) => {
              times.push((p.elapsedMs - last) / 1000);
              last = p.elapsedMs;
              const cpu = process.cpuUsage(lastCpu);
              cpuTimes.push((cpu.user + cpu.system) / 1e6);
              lastCpu = process.cpuUsage();
            },
          });
          const t0 = performance.now();
          await model.sampleMatrix(ds.matrix.rows, createRng(8));
          const sampleSeconds = (performance.now() - t0) / 1000;
          model.dispose();
          const sPerEpoch = median(times.slice(1));
          const row = {
            dataset: name,
            model: modelName,
            variant: v.name,
            threads: v.threads,
            batch_size: model.batchSize ?? null,
            round,
            backend: info.backend,
            tf_backend: tf.getBackend(),
            simd: info.simd,
            rows_fit: ds.matrix.rows,
            width: ds.matrix.width,
            transformer_s: Number(ds.transformerSeconds.toFixed(3)),
            epochs: n,
            epoch_seconds: times.map((t) => Number(t.toFixed(3))),
            s_per_epoch_median: Number(sPerEpoch.toFixed(3)),
            cpu_s_per_epoch_median: Number(median(cpuTimes.slice(1)).toFixed(3)),
            sample_s: Number(sampleSeconds.toFixed(3)),
            load_avg_1m_at_start: Number(load.toFixed(2)),
            reference_s_per_epoch: ref?.s_per_epoch_median ?? null,
            reference_epochs: ref?.epochs ?? null,
            reference_rows_fit: ref?.rows_fit ?? null,
            reference_width: ref?.transformed_dim ?? null,
            ratio_to_reference: ref ? Number((sPerEpoch / ref.s_per_epoch_median).toFixed(3)) : null,
            cpu_ratio_to_reference: ref
              ? Number((median(cpuTimes.slice(1)) / ref.s_per_epoch_median).toFixed(3))
              : null,
            tensors_after: tf.memory().numTensors,
          };
          process.stderr.write(`${JSON.stringify(row)}\n`);
          results.push(row);
        }
    }
  }
  setSpanGrouping(true);
  usePerValueNoise(false);
  forceXnnpackMatMul(false);
  forceLibmUnary(false);
  return { cpus: cpus().length, rounds, summary: summarise(results as Row[]), results };
}
