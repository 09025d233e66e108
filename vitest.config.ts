import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // v8 coverage leaves sources alone; the runtime path parses f.toString().
    coverage: { provider: "v8" },
  },
});
