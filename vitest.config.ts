import { defineConfig } from "vitest/config";

// Two levels, as ARCHITECTURE.md asks: fast unit tests on pure functions, and
// end-to-end tests against the real sshd + Incus started by test/host/setup.sh.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "app/test/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // Real Incus instances on a 2-core machine: keep files serial, so timing
          // assertions and instance counts are not disturbed by each other.
          fileParallelism: false,
        },
      },
    ],
  },
});
