import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The examples and CLI tests run compiled code from dist/ (built by `npm ci`'s prepare step).
    testTimeout: 60_000,
    pool: "forks",
  },
});
