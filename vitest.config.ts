import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    maxConcurrency: 3,
    pool: "forks",
    fileParallelism: true,
    globalSetup: ["test/helpers/global_setup.ts"],
    reporters: ["default", "./test/cpython/reporter.ts"],
  },
});
