/**
 * `npm run bench -- data [--mb 100] [--runs 3]`: parse + inference throughput (MB/s) and peak memory of
 * loadTable on the shared datasets and on a generated CSV (default 100 MB, written to a temp dir, never
 * committed). Each measurement runs in a fresh child process so its peak RSS is its own.
 */
import { execFileSync } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { once } from "node:events";
import { createRng } from "../shared/random.ts";

const HERE = fileURLToPath(import.meta.url);

interface ChildResult {
  file: string;
  bytes: number;
  rows: number;
  columns: number;
  runs: number;
  secondsFirst: number;
  secondsBest: number;
  secondsMedian: number;
  mbPerSecond: number;
  cpuSecondsMedian: number;
  mbPerCpuSecond: number;
  baselineRssMb: number;
  peakRssMb: number;
  peakOverFileSize: number;
  peakAboveBaselineOverFileSize: number;
  sdtypes: Record<string, number>;
}

async function child(file: string, runs: number): Promise<void> {
  const { loadTable } = await import("../shared/data/load.ts");
  const baseline = process.memoryUsage().rss;
  const buf = readFileSync(file);
  // A view, not a copy: the file is held once.
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const times: number[] = [];
  // CPU seconds too: on a shared machine wall time includes waiting for a core.
  const cpu: number[] = [];
  let peakFirst = 0;
  let rows = 0;
  let columns = 0;
  const sdtypes: Record<string, number> = {};
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const loaded = await loadTable(bytes, { fileName: file });
    times.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
    // Memory of one load: later runs overlap with the previous result still alive, which is the bench's doing.
    if (r === 0) peakFirst = process.resourceUsage().maxRSS * 1024;
    rows = loaded.table.data[0].length;
    columns = loaded.table.columns.length;
    if (r === 0) for (const c of loaded.metadata.columns) sdtypes[c.sdtype] = (sdtypes[c.sdtype] ?? 0) + 1;
  }
  const first = times[0];
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  // maxRSS is in KiB and covers the process life up to the first load, including reading the file.
  const peak = peakFirst;
  const mb = bytes.length / 1048576;
  const result: ChildResult = {
    file: file.split("/").pop()!,
    bytes: bytes.length,
    rows,
    columns,
    runs,
    secondsFirst: first,
    secondsBest: times[0],
    secondsMedian: times[Math.floor(times.length / 2)],
    mbPerSecond: mb / times[Math.floor(times.length / 2)],
    cpuSecondsMedian: cpu[Math.floor(cpu.length / 2)],
    mbPerCpuSecond: mb / cpu[Math.floor(cpu.length / 2)],
    baselineRssMb: baseline / 1048576,
    peakRssMb: peak / 1048576,
    peakOverFileSize: peak / bytes.length,
    peakAboveBaselineOverFileSize: (peak - baseline) / bytes.length,
    sdtypes,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function measure(file: string, runs: number): ChildResult {
  const out = execFileSync(process.execPath, ["--import", "tsx", HERE, "--child", file, String(runs)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(out.trim().split("\n").pop()!) as ChildResult;
}

/**
 * A mixed table like the shared datasets (integers, 2-decimal floats with some missing, 0/1 flags, categories,
 * ISO dates, short codes), seeded so every run measures the same bytes.
 */
export async function generateCsv(path: string, targetBytes: number): Promise<void> {
  const rng = createRng(20_240_601);
  const out = createWriteStream(path);
  const cities = ["Lisbon", "Porto", "Braga", "Faro", "Coimbra", "Aveiro", "Évora", "Setúbal"];
  const plans = ["basic", "standard", "premium", "enterprise"];
  out.write("customer_id,age,income,balance,is_active,city,plan,signup_date,score,region_code,notes\n");
  let written = 0;
  let id = 1;
  while (written < targetBytes) {
    let chunk = "";
    for (let k = 0; k < 5000; k++, id++) {
      const age = 18 + rng.int(70);
      const income = rng.next() < 0.05 ? "" : (20000 + rng.next() * 80000).toFixed(2);
      const balance = (rng.normal() * 5000).toFixed(2);
      const active = rng.int(2);
      const city = cities[rng.int(cities.length)];
      const plan = plans[rng.int(plans.length)];
      const day = new Date(Date.UTC(2015, 0, 1) + rng.int(3000) * 86_400_000).toISOString().slice(0, 10);
      const score = (rng.next() * 100).toFixed(3);
      const region = `R${String(rng.int(50)).padStart(2, "0")}`;
      const notes = rng.next() < 0.1 ? `"late payment, ${rng.int(5)} times"` : "";
      chunk += `${id},${age},${income},${balance},${active},${city},${plan},${day},${score},${region},${notes}\n`;
    }
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

/**
 * The unfavourable case: unique keys, free text and e-mail addresses, where nothing can be interned and every
 * string is its own object.
 */
export async function generateTextCsv(path: string, targetBytes: number): Promise<void> {
  const rng = createRng(99);
  const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"];
  const out = createWriteStream(path);
  out.write("uid,comment,amount,email\n");
  let written = 0;
  for (let i = 0; written < targetBytes;) {
    let chunk = "";
    for (let k = 0; k < 5000; k++, i++) {
      const text = Array.from({ length: 6 }, () => words[rng.int(words.length)]).join(" ");
      chunk += `u-${i.toString(16).padStart(8, "0")},"${text} ${i}",${(rng.next() * 1000).toFixed(2)},user${i}@example.com\n`;
    }
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

export async function run(args: string[]): Promise<unknown> {
  const opt = (name: string, dflt: number): number => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const mb = opt("mb", 100);
  const runs = opt("runs", 3);
  const datasetsDir = ["/work/shared/datasets", join(process.cwd(), "..", "shared", "datasets")].find((d) => {
    try {
      return statSync(d).isDirectory();
    } catch {
      return false;
    }
  });
  const results: ChildResult[] = [];
  if (datasetsDir) {
    for (const f of readdirSync(datasetsDir)
      .filter((x) => x.endsWith(".csv"))
      .sort()) {
      results.push(measure(join(datasetsDir, f), Math.max(runs, 20)));
      process.stderr.write(`${JSON.stringify(results[results.length - 1])}\n`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "synth-bench-data-"));
  try {
    const path = join(dir, `generated-${mb}mb.csv`);
    await generateCsv(path, mb * 1048576);
    const textPath = join(dir, `generated-text-${Math.round(mb / 2)}mb.csv`);
    await generateTextCsv(textPath, (mb / 2) * 1048576);
    const text = measure(textPath, runs);
    process.stderr.write(`${JSON.stringify(text)}\n`);
    results.push(text);
    const generated = measure(path, runs);
    process.stderr.write(`${JSON.stringify(generated)}\n`);
    results.push(generated);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const big = results[results.length - 1];
  return {
    description:
      "loadTable (format detection, CSV parse, type inference, typed cells) per file, in a fresh process",
    note:
      "MB/s is file size over the median run; peak is the process's max RSS up to the end of the first load, " +
      "Node + tsx + zod baseline included (baselineRssMb); the machine's 2 cores are shared, see loadAverage",
    loadAverage: loadavg(),
    targets: { mbPerSecond: 30, peakOverFileSize: 4 },
    met: { mbPerSecond: big.mbPerSecond >= 30, peakMemory: big.peakOverFileSize < 4 },
    results,
  };
}

if (process.argv[2] === "--child") await child(process.argv[3], Number(process.argv[4] ?? 3));
