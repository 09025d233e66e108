// gradc's runtime: what generated derivative code imports. Small and dependency-free.
export { Tape } from "./tape.js";
// Tensor kernels with their derivative kernels (see kernels/index.ts for the calling convention).
export * from "./kernels/index.js";
// Which implementation runs matmul: WebAssembly SIMD or JavaScript (kernels/wasm/backend.ts).
export { backendName, setBackend, type BackendName } from "./kernels/wasm/backend.js";
// Training toolkit: PRNG, initialisation, clipping, weight decay, optimisers, gradient norms.
export * from "./nn/index.js";
// The error class, and the messages of generated entries' argument checks.
export { GradcError } from "./errors.js";
export { outError, vectorError, cotangentError, batchError, outputError, moduleValueError, type EntrySpec, type Shape } from "./checks.js";
// Custom rules (what gradc calls instead of differentiating a function) and stopGradient.
export { customJvp, customVjp, stopGradient } from "./custom.js";
