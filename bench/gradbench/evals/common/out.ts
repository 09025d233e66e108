// The derivative functions gradc's bundler plugin generates take one more, optional
// argument after f's: `out`, the buffers they fill and return instead of allocating
// (README, "CLI": "the same call contract as the run-time API, plus an optional last
// argument out"). gradc's API types (compiler/api-types.ts) do not declare it, so
// `grad(f)(x, n, out)` is a type error; `withOut` restates the type, changing nothing
// at run time.
export type WithOut<F extends (...args: any[]) => unknown, O> = (...args: [...Parameters<F>, O]) => ReturnType<F>;

export function withOut<O>() {
  return <F extends (...args: any[]) => unknown>(derivative: F): WithOut<F, O> => derivative as unknown as WithOut<F, O>;
}
