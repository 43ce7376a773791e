import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * `supabase functions deploy api` bundles with supabase/functions/api/deno.json: every package the function's
 * code imports (functions/ and shared/, transitively through relative imports) must be mapped there to an
 * npm: specifier at exactly the version npm installed, or the deployed function runs other code than we test.
 */
const root = new URL("../../", import.meta.url).pathname;
const denoJson = JSON.parse(readFileSync(join(root, "supabase/functions/api/deno.json"), "utf8")) as {
  imports: Record<string, string>;
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

const packageOf = (specifier: string) =>
  specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];

const installedVersion = (pkg: string) =>
  (JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")) as { version: string })
    .version;

describe("the api function's import map", () => {
  const specifiers = new Set<string>();
  for (const file of [...sourceFiles(join(root, "functions")), ...sourceFiles(join(root, "shared"))]) {
    const text = readFileSync(file, "utf8");
    const found = [
      ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^".][^"]*)"/gms),
      ...text.matchAll(/^\s*import\s+"([^".][^"]*)"/gm),
      ...text.matchAll(/\bimport\(\s*"([^".][^"]*)"\s*\)/g),
    ];
    for (const m of found) {
      if (!m[1].startsWith("node:")) specifiers.add(m[1]);
    }
  }

  it("maps every package the function imports, at the installed version", () => {
    expect(specifiers.size).toBeGreaterThan(5);
    for (const specifier of specifiers) {
      const pkg = packageOf(specifier);
      const exact = denoJson.imports[specifier];
      const prefix = denoJson.imports[`${pkg}/`];
      const target = exact ?? (specifier === pkg ? undefined : prefix);
      expect(target, `${specifier} is not in supabase/functions/api/deno.json`).toBeDefined();
      expect(target, specifier).toContain(`${pkg}@${installedVersion(pkg)}`);
    }
  });

  it("maps nothing that is not installed at that version", () => {
    for (const [key, target] of Object.entries(denoJson.imports)) {
      const pkg = packageOf(key.replace(/\/$/, ""));
      expect(target, key).toContain(`${pkg}@${installedVersion(pkg)}`);
    }
  });
});
