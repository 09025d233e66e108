// Tensor kernels: plain functions over typed arrays, with their derivative
// kernels next to them, for generated code (and users) to call.
//
// Calling convention (every kernel, forward and derivative):
//
// - `out` comes first: a caller-provided Float64Array or Float32Array that the
//   kernel writes, and returns. Kernels allocate nothing (exceptions, stated on
//   them: `slice`/`sliceRows` create a view object, `reshape` returns its input).
//   Kernels whose result is one number (full reductions, losses, scalar JVPs)
//   take no `out` and return the number.
// - Then the operands: arrays, and numbers that play the part of an operand (the
//   factor of `scale`, the scalar adjoint ḡ of a full reduction). Derivative
//   kernels take the primal values they need first, then the incoming adjoint
//   `gy` (VJP) or the tangents `dx`, `da`, … (JVP). A JVP tangent may be `null`
//   where the kernel has several differentiable inputs: that input is constant.
// - Then the shapes, as numbers: `n` (entries), `rows, cols` (a row-major
//   matrix), `m, k, n` (matmul: op(A) m×k, op(B) k×n).
// - Then options with defaults (transA/transB, alpha, eps, slice bounds, the
//   scalar adjoint of a loss), and last `accumulate` (default false): when true a
//   derivative kernel (and matmul/matvec/outer/copy/scale) ADDS into `out`
//   instead of overwriting it, so an adjoint can be accumulated without a
//   temporary.
// - Arrays are generic over Float64Array | Float32Array and may be mixed. Sums
//   run in double precision in locals; values stored into a Float32Array are
//   rounded on each store (accumulation into a Float32Array `out` is in single).
//   On the WebAssembly backend the float32 elementwise kernels compute in single
//   (f32x4) and agree to 1e-5 relative (README, "Runtime backends").
// - Aliasing: elementwise, row-wise (softmax, logSoftmax, layerNorm) and batch
//   norm forward kernels allow `out` to be the input x; matmul, matvec, outer,
//   transpose and concat do not.
//
// Derivative naming: `fooVjp` gives the adjoint of the single differentiable
// input; with several inputs `fooVjpA`/`fooVjpB` (or `…VjpX`, `…VjpBias`,
// `…VjpParams`) give one each. `fooJvp` gives the tangent of the result. Kernels
// that are linear in their inputs have no separate JVP — their JVP is the kernel
// itself applied to the tangents: add, sub, scale (in x), copy, sum, mean,
// sumAxis*, meanAxis*, biasAdd, transpose, reshape, slice*, concat*; and for the
// bilinear matmul, matvec, outer, dot, mul the `…Jvp` helpers sum the two
// one-slot products.
export * from "./linear.js";
export * from "./elementwise.js";
export * from "./reduce.js";
export * from "./softmax.js";
export * from "./shape.js";
export * from "./norm.js";
export * from "./schedule.js";
export * from "./order.js";
export type { Arr } from "./types.js";
