// What an eval module of the GradBench tool exports: for each function GradBench asks
// for, how to turn the JSON input into arguments (not timed), the timed call, and how
// to turn its result into the JSON output (not timed).
export interface EvalFunction<I, A, R> {
  prepare(input: I): A;
  run(args: A): R;
  output(result: R): unknown;
}

export function evalFunction<I, A, R>(f: EvalFunction<I, A, R>): EvalFunction<I, A, R> {
  return f;
}
