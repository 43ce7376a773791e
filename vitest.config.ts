import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "tests/**/*.test.ts",
      "shared/**/*.test.ts",
      "functions/**/*.test.ts",
      "cli/**/*.test.ts",
      "local/**/*.test.ts",
      "training-runner/**/*.test.ts",
    ],
    exclude: ["**/node_modules/**", "tests/deno/**"],
    globalSetup: ["tests/setup/database.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: running every file at once only makes them time out.
    maxWorkers: 2,
  },
});
