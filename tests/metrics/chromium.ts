import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { brotliDecompressSync } from "node:zlib";
import serverlessChromium from "@sparticuz/chromium";
import { chromium, type BrowserContext } from "playwright-core";

/**
 * Headless Chromium from npm alone (@sparticuz/chromium), so `npm ci && npm test` needs no system browser.
 *
 * The binary links against NSS, NSPR and expat, which a bare Debian or Ubuntu image lacks. The package ships those
 * libraries (al2023.tar.br) but unpacks them only on AWS Lambda; we unpack them ourselves and put them first on the
 * browser's library path, and point fontconfig at the package's fonts only, so the page renders the same everywhere.
 * `profile` is the browser's user-data directory (a fresh one per run); the fontconfig file is written there too.
 */
export async function launchChromium(profile: string): Promise<BrowserContext> {
  const executablePath = await serverlessChromium.executablePath();
  const libs = join(unpack("al2023", "lib/libnss3.so"), "lib");
  // executablePath() unpacks the fonts only when it unpacks the binary; a binary left by an earlier run has none.
  const fonts = unpack("fonts", "fonts/Open_Sans/OpenSans-Regular.ttf");
  // The package's own fonts.conf names /tmp/fonts, wrong when TMPDIR is elsewhere: write one that names our copy.
  const fontConfig = join(profile, "fonts.conf");
  writeFileSync(
    fontConfig,
    `<?xml version="1.0"?>\n<fontconfig>\n  <dir>${join(fonts, "fonts")}</dir>\n  <cachedir>${join(profile, "fonts-cache")}</cachedir>\n</fontconfig>\n`,
  );
  return chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    offline: true,
    env: {
      ...process.env,
      LD_LIBRARY_PATH: [libs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
      FONTCONFIG_FILE: fontConfig,
    },
    args: [
      ...serverlessChromium.args,
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Unpacks one of the package's tar.br archives into <tmp>/<name> (where the package itself would) unless
 * <tmp>/<name>/<probe> exists, and returns <tmp>/<name>.
 */
function unpack(name: string, probe: string): string {
  const target = join(tmpdir(), name);
  if (existsSync(join(target, probe))) return target;
  const entry = createRequire(import.meta.url).resolve("@sparticuz/chromium");
  // build/{cjs,esm}/index.js -> bin/
  const archive = join(dirname(entry), "..", "..", "bin", `${name}.tar.br`);
  // Unpack beside the target and rename, so a concurrent run never sees half a directory.
  const staging = mkdtempSync(join(tmpdir(), `${name}-`));
  try {
    execFileSync("tar", ["-x", "-f", "-", "-C", staging], {
      input: brotliDecompressSync(readFileSync(archive)),
    });
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(target, probe))) throw err;
  }
  return target;
}
