// `switch`: case tests compared with `===`, evaluated in order until one matches. When no
// clause falls through into another's statements (switch-form.ts), it becomes an if /
// else-if chain, the default last. Otherwise the index of the clause where execution
// enters is computed first, and each clause runs when it is at or after that index and no
// `break` (or `return`, or `continue` of the loop around) has left the switch.
import type * as ESTree from "acorn";
import type { Temp, Var } from "../ir/types.js";
import type { LoopCtx, Lowerer } from "./context.js";
import { lowerScalar } from "./expr.js";
import { Scope } from "./scope.js";
import { lowerBlock } from "./stmt.js";
import { switchChain, type SwitchGroup } from "./switch-form.js";

export function lowerSwitch(L: Lowerer, s: ESTree.SwitchStatement, outer: Scope, tail: boolean): void {
  const d = lowerScalar(L, s.discriminant, outer);
  const key = L.b.newVar(s.discriminant.type === "Identifier" ? `${s.discriminant.name}_key` : "key", d.type);
  L.b.set(key, d);
  const scope = new Scope(outer);
  const chain = switchChain(s);
  if (chain) return lowerChain(L, chain, key, scope, tail);
  lowerGeneral(L, s, key, scope);
}

/** `key === test` (strict: a number never equals a boolean). */
function matches(L: Lowerer, key: Var, test: ESTree.Expression, scope: Scope): Temp {
  const t = lowerScalar(L, test, scope);
  const k = L.b.get(key);
  if (k.type !== t.type) return L.b.bool(false);
  if (k.type === "num") return L.b.op("eq", k, t);
  return L.b.op("or", L.b.op("and", k, t), L.b.op("and", L.b.op("not", k), L.b.op("not", t)));
}

function lowerChain(L: Lowerer, groups: SwitchGroup[], key: Var, scope: Scope, tail: boolean): void {
  const cases = groups.filter((g) => !g.isDefault);
  const fallback = groups.find((g) => g.isDefault);
  const from = (k: number): void => {
    if (k === cases.length) {
      if (fallback) lowerBlock(L, fallback.body, scope, tail);
      return;
    }
    const g = cases[k];
    const cond = g.tests.map((t) => matches(L, key, t, scope)).reduce((a, b) => L.b.op("or", a, b));
    const then = L.block(() => lowerBlock(L, g.body, scope, tail));
    const els = L.block(() => from(k + 1));
    L.b.emit({ k: "if", cond, then, else: els });
  };
  from(0);
}

function lowerGeneral(L: Lowerer, s: ESTree.SwitchStatement, key: Var, scope: Scope): void {
  const entry = L.b.newVar("entry", "num");
  const fallback = s.cases.findIndex((c) => !c.test);
  const tested = s.cases.flatMap((c, i) => (c.test ? [{ test: c.test, i }] : []));
  const pick = (k: number): void => {
    if (k === tested.length) return L.b.set(entry, L.b.num(fallback >= 0 ? fallback : s.cases.length));
    const cond = matches(L, key, tested[k].test, scope);
    const then = L.block(() => L.b.set(entry, L.b.num(tested[k].i)));
    L.b.emit({ k: "if", cond, then, else: L.block(() => pick(k + 1)) });
  };
  pick(0);
  const loops = L.fn.loops;
  const ctx: LoopCtx = { brk: L.flag("left"), cont: loops[loops.length - 1]?.cont };
  L.b.set(ctx.brk!, L.b.bool(false));
  loops.push(ctx);
  try {
    s.cases.forEach((c, i) => {
      let run = L.b.op("and", L.b.op("le", L.b.get(entry), L.b.num(i)), L.b.op("not", L.b.get(ctx.brk!)));
      if (ctx.cont) run = L.b.op("and", run, L.b.op("not", L.b.get(ctx.cont)));
      const then = L.block(() => lowerBlock(L, c.consequent, scope, false));
      L.b.emit({ k: "if", cond: run, then, else: [] });
    });
  } finally {
    loops.pop();
  }
}
