import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "coverage/", "tests/fixtures/**", "supabase/.temp/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // shared/ and functions/ must run unchanged under Node and Deno: no runtime globals, no node: modules.
    files: ["shared/**/*.ts", "functions/**/*.ts"],
    // Tests run under vitest on Node only; the code they test is what must stay neutral.
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-globals": ["error", "process", "Deno", "Buffer", "__dirname", "require"],
      "no-restricted-imports": ["error", { patterns: ["node:*", "fs", "path", "os", "child_process"] }],
    },
  },
  {
    files: ["tests/deno/**/*.ts"],
    languageOptions: { globals: { Deno: "readonly" } },
  },
  {
    files: ["bin/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
