/**
 * Where a bench dataset's files are: the shared tables (/work/shared/datasets) or the wide fixtures this
 * repository generates (bench/fixtures, see make-fixtures.R). A missing fixture is an error that says how to
 * make it: a bench that silently skipped the wide tables would report the narrow ones as "every table".
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** ../shared/datasets next to the repository (the layout), else the machine's copy. */
export const SHARED_DATASETS_DIR =
  [fileURLToPath(new URL("../../../shared/datasets", import.meta.url)), "/work/shared/datasets"].find((d) =>
    existsSync(d),
  ) ?? "/work/shared/datasets";
export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));
/** The tables bench/fixtures/make-fixtures.R writes (R modeldata, via Debian's r-cran-modeldata). */
export const FIXTURE_DATASETS = ["mlc_churn", "Chicago"] as const;

export interface DatasetFiles {
  csv: string;
  meta: string;
}

export function datasetFiles(name: string): DatasetFiles {
  for (const dir of [SHARED_DATASETS_DIR, FIXTURES_DIR]) {
    const meta = join(dir, `${name}.meta.json`);
    const csv = join(dir, `${name}.csv`);
    if (existsSync(meta) && existsSync(csv)) return { csv, meta };
  }
  if ((FIXTURE_DATASETS as readonly string[]).includes(name)) {
    throw new Error(
      `bench fixture ${name} is not generated: run \`apt-get install -y r-cran-modeldata\` then ` +
        "`Rscript bench/fixtures/make-fixtures.R` (writes bench/fixtures/*.csv and *.meta.json)",
    );
  }
  throw new Error(`unknown dataset ${name}: not in ${SHARED_DATASETS_DIR} nor ${FIXTURES_DIR}`);
}
