// The GradcError a call throws: tests of refusals and entry checks.
import { expect } from "vitest";
import { GradcError, grad } from "../index.js";

/** The GradcError `run` throws; fails the test if it throws anything else or nothing. */
export function thrownGradcError(run: () => unknown): GradcError {
  let thrown: unknown;
  try {
    run();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, "expected a GradcError").toBeInstanceOf(GradcError);
  return thrown as GradcError;
}

/** The GradcError grad(f) throws at its first call with `args`. */
export function gradRefusal(f: (...args: any[]) => unknown, args: unknown[]): GradcError {
  return thrownGradcError(() => (grad as unknown as (f: unknown) => (...a: unknown[]) => unknown)(f)(...args));
}
