// Functions as values in generated programs: callbacks passed to helpers (arrows, Math
// functions, helpers' names), helpers returning functions, lists of functions called with
// an index known only at run time, options objects with defaults, logical assignments.
import type { Gen } from "./generate.js";
import { child, type FnRef, type LambdaParam, type NumRef, type Scope } from "./scope.js";

const IDENT = /^[A-Za-z_$][\w$]*$/;

/**
 * A function to pass where a callback is called with `arity` numbers: an arrow (sometimes
 * taking fewer), a one-argument Math function, or the name of a helper taking numbers.
 */
export function callbackArg(g: Gen, sc: Scope, arity: number): string {
  const named = sc.fns.filter((f) =>
    IDENT.test(f.name) && !f.value && !f.list && !f.effects && f.returnsArr === undefined && !f.rest &&
    f.params.length >= 1 && f.params.length <= arity && f.params.every((k) => k === "num"));
  return g.choose<string>([
    [4, () => {
      const { inner, head } = g.lambda(sc, Array.from({ length: g.rng.int(1, arity) }, (): LambdaParam => "num"));
      return `${head} => ${g.num(inner, 2)}`;
    }],
    [1.5, () => `Math.${g.pick(["sin", "tanh", "atan", "cos"])}`],
    [named.length ? 1.5 : 0, () => g.pick(named).name],
  ]);
}

/** The fields of an options parameter that a call passes: `{}`, `{ eps: e }`, `{ scale: e, where: h }`, … */
export function optionsArg(g: Gen, sc: Scope, fields: string[], d: number): string {
  const given = g.chance(0.15) ? [] : fields.filter((k) => g.chance(0.5) && (k !== "where" || sc.arrs.length > 0));
  if (!given.length) return "{}";
  return `{ ${given.map((k) => `${k}: ${k === "where" ? g.pick(sc.arrs).name : g.num(sc, d)}`).join(", ")} }`;
}

/**
 * A helper's options parameter `{ eps = 0.5, scale, where } = {}` (some of the three): eps a
 * number with a default, scale given one by `scale ??= c` in a block body (else read as
 * `scale ?? c`), where an optional array read as `where ? where[0] : c`.
 */
export function optionsParam(g: Gen, sc: Scope, block: boolean): { text: string; type: string; fields: string[]; prologue: string[] } {
  const fields = ["eps", "scale", "where"].filter((k) => !sc.declared.has(k) && !sc.nums.some((v) => v.name.includes(k)) && g.chance(0.6));
  if (!fields.length) fields.push(sc.declared.has("eps") ? "scale" : "eps");
  const prologue: string[] = [];
  const parts = fields.map((k) => {
    sc.declared.add(k);
    if (k === "eps") {
      sc.nums.push({ name: k, mutable: g.chance(0.3) });
      return `eps = ${g.signedLit()}`;
    }
    if (k === "scale") {
      if (block && g.chance(0.6)) {
        prologue.push(g.w("logicalAssign") > 0 ? `scale ??= ${g.lit()};` : `scale = scale ?? ${g.lit()};`);
        sc.nums.push({ name: k, mutable: true });
      } else sc.nums.push({ name: `(scale ?? ${g.lit()})`, mutable: false });
      return k;
    }
    sc.nums.push({ name: `(where ? where[0] : ${g.signedLit()})`, mutable: false });
    return k;
  });
  const types: Record<string, string> = { eps: "eps?: number", scale: "scale?: number", where: `where?: ${g.arrType()}` };
  return { text: `{ ${parts.join(", ")} } = {}`, type: `{ ${fields.map((k) => types[k]).join("; ")} }`, fields, prologue };
}

/**
 * A helper returning a function (`function mk(u) { const c = e; return (z) => e; }`, or an
 * arrow of an arrow), bound by `const st = mk(e)` and called later.
 */
export function makerStmt(g: Gen, sc: Scope, ind: string): string[] {
  const [mk, st] = [g.fresh("mk"), g.fresh("st")];
  sc.declared.add(mk).add(st);
  const inner = child(g.captures(sc));
  const us = Array.from({ length: g.rng.int(1, 2) }, () => g.fresh("u"));
  inner.nums.push(...us.map((name): NumRef => ({ name, mutable: false })));
  inner.declared = new Set(us);
  const sig = g.signature(us, us.map(() => "number"));
  let lines: string[];
  if (g.chance(0.3)) {
    const { inner: body, head } = g.lambda(inner, ["num"]);
    lines = [`${ind}const ${mk} = (${sig}) => ${head} => ${g.num(body, 2)};`];
  } else {
    const pre: string[] = [];
    if (g.chance(0.5)) {
      const c = g.fresh("c");
      pre.push(`${ind}  const ${c} = ${g.num(inner, 2)};`);
      inner.nums.push({ name: c, mutable: false });
    }
    const { inner: body, head } = g.lambda(inner, ["num"]);
    lines = [`${ind}function ${mk}(${sig}) {`, ...pre, `${ind}  return ${head} => ${g.num(body, 2)};`, `${ind}}`];
  }
  const ref: FnRef = { name: st, params: ["num"], effects: false };
  lines.push(`${ind}const ${st} = ${mk}(${us.map(() => g.num(sc, 1)).join(", ")});`);
  sc.fns.push(ref);
  return [...lines, ...g.effectCall(sc, ind, ref)];
}

/** `const fs = [(z) => e, Math.sin, g]`, called as `fs[k](e)` with k known only at run time. */
export function functionList(g: Gen, sc: Scope, ind: string): string[] {
  const fs = g.fresh("fs");
  const elems = Array.from({ length: g.rng.int(2, 3) }, () => callbackArg(g, sc, 1));
  sc.declared.add(fs);
  const ref: FnRef = { name: fs, params: ["num"], effects: false, list: true };
  sc.fns.push(ref);
  return [`${ind}const ${fs} = [${elems.join(", ")}];`, ...g.effectCall(sc, ind, ref)];
}

/** `t ||= e`, `t &&= e`, `t ??= e` of a number (`let t;` given a value on one branch first), `c ||= cond` of a new flag (and in assignFlag). */
export function logicalAssign(g: Gen, sc: Scope, ind: string): string[] {
  const mutable = sc.nums.filter((v) => v.mutable && IDENT.test(v.name));
  return g.choose<string[]>([
    [mutable.length ? 3 : 0, () => [`${ind}${g.pick(mutable).name} ${g.pick(["||=", "&&=", "??="])} ${g.rhs(sc, 2)};`]],
    [1.5, () => {
      const t = g.fresh("t");
      const out = [`${ind}let ${t};`, `${ind}if (${g.cond(sc, 1)}) ${t} = ${g.num(sc, 2)};`, `${ind}${t} ??= ${g.num(sc, 2)};`];
      sc.declared.add(t);
      sc.nums.push({ name: t, mutable: true });
      return out;
    }],
    [1, () => {
      const c = g.fresh("c");
      const out = [`${ind}let ${c} = ${g.cond(sc, 1)};`, `${ind}${c} ${g.pick(["||=", "&&="])} ${g.cond(sc, 1)};`];
      sc.declared.add(c);
      sc.bools.push({ name: c, mutable: true });
      return out;
    }],
  ]);
}
