// The options every way of asking for a derivative shares — the run-time API, build-time
// request sites, derivatives called inside differentiated code — checked in one place.
// Callers say how an error is raised (a usage error, a located refusal).
import type * as ESTree from "acorn";
import type { CheckpointSpec } from "./request.js";

/** Makes the error to throw for `message`; `name` is set when a parameter name was not found. */
export type Fail = (message: string, name?: string) => Error;

/** The parameters' names (undefined for a destructuring pattern). */
export function parameterNames(fn: { params: ESTree.Pattern[] }): (string | undefined)[] {
  return fn.params.map((p) => {
    const target = p.type === "AssignmentPattern" ? p.left : p;
    return target.type === "Identifier" ? target.name : undefined;
  });
}

/** Parameter indices for `spec` (absent: the first parameter), and whether it was a list. */
export function resolveWrt(spec: unknown, fnName: string, params: (string | undefined)[], fail: Fail): { wrt: number[]; list: boolean } {
  const shown = params.map((p, i) => p ?? `#${i}`).join(", ") || "none";
  if (params.length === 0) throw fail(`${fnName} has no parameters to differentiate.`);
  if (Array.isArray(spec) && spec.length === 0) throw fail("wrt is an empty list.");
  const items: unknown[] = spec === undefined ? [0] : Array.isArray(spec) ? spec : [spec];
  const wrt = items.map((item) => {
    const index = typeof item === "number" ? item : typeof item === "string" ? params.indexOf(item) : NaN;
    if (!Number.isInteger(index) || index < 0 || index >= params.length) {
      const what = typeof item === "string" || typeof item === "number" ? JSON.stringify(item) : "a " + typeof item;
      throw fail(`wrt ${what} is not a parameter of ${fnName} (its parameters: ${shown}; give a name or an index from 0).`, typeof item === "string" ? item : undefined);
    }
    return index;
  });
  const twice = wrt.findIndex((w, i) => wrt.indexOf(w) !== i);
  if (twice >= 0) {
    const label = params[wrt[twice]] === undefined ? `#${wrt[twice]}` : `'${params[wrt[twice]]}'`;
    throw fail(`wrt lists ${label} twice (${JSON.stringify(items[wrt.indexOf(wrt[twice])])} and ${JSON.stringify(items[twice])}); list each parameter once.`);
  }
  return { wrt, list: Array.isArray(spec) };
}

/** The checkpoint option: a schedule name or a snapshot budget of at least 1. */
export function checkedSchedule(spec: unknown, fail: Fail): CheckpointSpec | undefined {
  if (spec === undefined || spec === "sqrt" || spec === "binomial") return spec;
  const k = (spec as { snapshots?: unknown } | null)?.snapshots;
  const keys = typeof spec === "object" && spec !== null ? Object.keys(spec) : [];
  if (keys.length === 1 && Number.isInteger(k) && (k as number) >= 1) return { snapshots: k as number };
  throw fail(`checkpoint must be "sqrt", "binomial" or { snapshots: k } with an integer k >= 1, not ${JSON.stringify(spec) ?? String(spec)}.`);
}
