// Types of what tests import from compile.mjs.

/** A fresh function (never compiled) whose loop body is a chain of `lines` statements. */
export function chain(lines: number): (x: Float64Array, c: Float64Array) => number;
