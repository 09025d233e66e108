// GradBench's hello eval: square(x) = x·x and its derivative (evals/hello/README.md).
import { grad } from "gradc";
import { evalFunction } from "../eval.js";

export function square(x: number): number {
  return x * x;
}

const dsquare = grad(square);

export const functions = {
  square: evalFunction({ prepare: (x: number) => x, run: square, output: (y: number) => y }),
  double: evalFunction({ prepare: (x: number) => x, run: dsquare, output: (y: number) => y }),
};
