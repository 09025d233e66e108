// The runtime's kernel backends, for tests that run on each: inside a describe,
// `onBackend(name)` switches to it for that describe's tests, with matmul and the
// elementwise, row and column kernels in WebAssembly at every size (no size cutoffs),
// and switches back afterwards.
import { afterAll, beforeAll, expect } from "vitest";
import { backendName, setBackend, type BackendName } from "../runtime/kernels/wasm/backend.js";
import { MIN_ENTRIES, setMinEntries } from "../runtime/kernels/wasm/calls.js";
import { MIN_WORK, setMinWork } from "../runtime/kernels/wasm/matmul.js";

export const BACKENDS: BackendName[] = ["js", "wasm"];

export function onBackend(name: BackendName): void {
  let before: BackendName;
  beforeAll(() => {
    before = backendName();
    expect(setBackend(name), "WebAssembly SIMD is available here").toBe(name);
    setMinWork(0);
    setMinEntries(0);
  });
  afterAll(() => {
    setBackend(before);
    setMinWork(MIN_WORK);
    setMinEntries(MIN_ENTRIES);
  });
}
