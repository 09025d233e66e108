// The GradcError a call throws: tests of refusals and entry checks.
import { expect } from "vitest";
import { GradcError } from "../index.js";

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
