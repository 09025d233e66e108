// Array types shared by the kernels.

/** A dense buffer of numbers, row-major when it holds a matrix. */
export type Arr = Float64Array | Float32Array;
