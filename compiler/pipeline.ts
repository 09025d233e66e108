// Placeholder until the core pipeline lands: the lead replaces this file.
import type { GradRequest } from "./request.js";

/** Text of the IR for `req` (`gradc show --ir`). */
export function showIR(req: GradRequest): string {
  void req;
  throw new Error("not implemented");
}
