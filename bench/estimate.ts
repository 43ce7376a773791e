/**
 * `npm run bench -- estimate [--epochs 4] [--only dataset:model,...] [--group sample --results
 * estimate-sample]`: the short fits the fit-cost estimate
 * (shared/synth/estimate.ts) is fitted on, beside the older bench rows (bench/estimate-fit.ts reads both):
 * every shared dataset (attrition is the widest), CPS1988 subsampled and repeated (rows from 5k to 79k),
 * credit_data at several batch sizes (steps per epoch apart from rows per epoch), each model, each run its
 * own process so its peak RSS is its own. A few epochs each: the first is warm-up, the median of the
 * others the steady cost. About 3 minutes of one core.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadavg } from "node:os";

const run$ = promisify(execFile);

interface Case {
  dataset: string;
  model: "ctgan" | "tvae" | "gaussian_copula";
  rowsFactor?: number;
  batch?: number;
  epochs?: number;
  /** Rows to sample (default: the training rows). */
  sample?: number;
  /** `--group` runs only the cases of one group (results kept apart with `--results`). */
  group?: string;
}

const NEURAL = ["ctgan", "tvae"] as const;
const ALL = ["ctgan", "tvae", "gaussian_copula"] as const;

export const CASES: Case[] = [
  ...["penguins", "attrition", "credit_data", "wa_churn", "CPS1988"].flatMap((dataset) =>
    ALL.map((model) => ({ dataset, model })),
  ),
  ...[0.25, 2].flatMap((rowsFactor) => ALL.map((model) => ({ dataset: "CPS1988", model, rowsFactor }))),
  // Four times CPS1988: the memory point; the neural fits are slow there, so one steady epoch.
  ...ALL.map((model) => ({ dataset: "CPS1988", model, rowsFactor: 4, epochs: 2 })),
  ...[100, 250].flatMap((batch) => NEURAL.map((model) => ({ dataset: "credit_data", model, batch }))),
  ...NEURAL.map((model) => ({ dataset: "attrition", model, rowsFactor: 4 })),
  // Sampled rows apart from training rows (above, each fit samples its own row count): memory and time of
  // a large sample from a small fit and of a small sample from a large one.
  ...ALL.map((model) => ({ dataset: "credit_data", model, sample: 100_000, group: "sample" })),
  ...(["tvae", "gaussian_copula"] as const).map((model) => ({
    dataset: "CPS1988",
    model,
    rowsFactor: 4,
    epochs: 2,
    sample: 1000,
    group: "sample",
  })),
  { dataset: "CPS1988", model: "ctgan", rowsFactor: 2, epochs: 2, sample: 1000, group: "sample" },
];

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function run(args: string[]): Promise<unknown> {
  const epochs = Number(flag(args, "--epochs") ?? 4);
  const only = flag(args, "--only")?.split(",");
  const group = flag(args, "--group");
  const worker = fileURLToPath(new URL("./lib/estimate-worker.ts", import.meta.url));
  const rows: unknown[] = [];
  const loadBefore = loadavg();
  for (const c of CASES) {
    if (only && !only.includes(`${c.dataset}:${c.model}`)) continue;
    if ((c.group ?? "main") !== (group ?? "main")) continue;
    const e = c.epochs ?? epochs;
    const extra = [
      ...(c.rowsFactor === undefined ? [] : ["--rows-factor", String(c.rowsFactor)]),
      ...(c.batch === undefined ? [] : ["--batch", String(c.batch)]),
      ...(c.sample === undefined ? [] : ["--sample", String(c.sample)]),
    ];
    process.stderr.write(`estimate bench: ${c.dataset} ${c.model} ${e} epochs ${extra.join(" ")}\n`);
    const { stdout } = await run$(
      process.execPath,
      ["--import", "tsx", worker, c.dataset, c.model, String(e), ...extra],
      { maxBuffer: 1 << 24 },
    );
    const row = JSON.parse(stdout.trim().split("\n").at(-1) as string) as Record<string, unknown>;
    // Above 2 on this 2-core machine, other work shared the cores and the times are inflated.
    row.load_average_1m = Number(loadavg()[0].toFixed(2));
    process.stderr.write(`${JSON.stringify(row)}\n`);
    rows.push(row);
  }
  return {
    epochs,
    group: group ?? "main",
    load_average_before: loadBefore.map((v) => Number(v.toFixed(2))),
    rows,
  };
}
