// The real-world corpus: loss functions translated from other AD libraries' own test
// suites and examples, as JavaScript users write them. Run by test/real-world.test.ts.
import * as autograd from "./autograd.js";
import * as clad from "./clad.js";
import * as jax from "./jax.js";
import * as tangent from "./tangent.js";

export type { Library, RealWorldCase } from "./case.js";

export const cases = [...tangent.cases, ...autograd.cases, ...jax.cases, ...clad.cases];
