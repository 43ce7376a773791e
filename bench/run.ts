/**
 * `npm run bench -- <suite> [args]`: each suite is bench/<suite>.ts exporting `run(args): Promise<unknown>`;
 * its result is printed and written as JSON to bench/results/<suite>.json (`--results <name>`: to
 * bench/results/<name>.json instead, e.g. to keep a partial run apart from the full one).
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const suites = (await readdir(here))
  .filter((f) => f.endsWith(".ts") && f !== "run.ts")
  .map((f) => f.slice(0, -3));
const [suite, ...rest] = process.argv.slice(2);
const at = rest.indexOf("--results");
const resultsName = at >= 0 ? rest[at + 1] : suite;
const args = at >= 0 ? [...rest.slice(0, at), ...rest.slice(at + 2)] : rest;
if (!resultsName || !/^[\w.-]+$/.test(resultsName)) {
  process.stderr.write("--results wants a file name (letters, digits, . _ -)\n");
  process.exit(2);
}
if (!suite || !suites.includes(suite)) {
  process.stderr.write(`usage: npm run bench -- <${suites.join("|")}> [args]\n`);
  process.exit(2);
}
const mod = (await import(new URL(`./${suite}.ts`, import.meta.url).href)) as {
  run(args: string[]): Promise<unknown>;
};
const result = {
  suite,
  date: new Date().toISOString(),
  node: process.version,
  cpus: 2,
  result: await mod.run(args),
};
await mkdir(new URL("./results/", import.meta.url), { recursive: true });
const out = new URL(`./results/${resultsName}.json`, import.meta.url);
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.stderr.write(`wrote ${fileURLToPath(out)}\n`);
