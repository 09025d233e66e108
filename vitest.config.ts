import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The CLI tests start the TypeScript compiler; shared CI machines can be slow.
    testTimeout: 60_000,
    // Hooks compile whole modules (beforeAll); a busy machine needs more than the default 10 s.
    hookTimeout: 120_000,
    // The IR is verified after every pass, not only the last (compiler/ir/verify.ts).
    env: { GRADC_VERIFY: "1" },
    // v8 coverage leaves sources alone; the runtime path parses f.toString().
    coverage: { provider: "v8" },
  },
});
