// Plain-array constructs of generated programs: growing arrays (`const z = []; z.push(…)`),
// concatenation (spread, `.flat()`, `.flatMap`), sorting with a numeric comparator, for…of
// over a list of pairs, and list elements taken with an index known only at run time.
import type { Gen } from "./generate.js";
import { child, type ArrRef, type ListRef, type Scope } from "./scope.js";

/**
 * `const z = [];`, pushes in a loop over an array (its body may push too, also in
 * branches), then at least one push after it; then z is an array like any other.
 */
export function growArray(g: Gen, sc: Scope, ind: string): string[] {
  const z = g.fresh("z");
  sc.declared.add(z);
  const out = [`${ind}${g.chance(0.7) ? "const" : "let"} ${z} = [];`];
  if (sc.arrs.length && g.blockDepth < 4 && g.fn.loops.length < 3 && g.chance(0.7)) {
    const arr = g.pick(sc.arrs);
    const i = g.fresh("i");
    const inner = child(sc);
    inner.idxs.push({ name: i, len: arr.len, ge1: false });
    inner.growing.push(z);
    const body = g.inLoop({ contPrefix: "" }, () => [...g.block(inner, ind + "  ", g.rng.int(0, 2)), ...pushStmt(g, inner, ind + "  ", z)]);
    out.push(`${ind}for (let ${i} = 0; ${i} < ${arr.name}.length; ${i}++) {`, ...body, `${ind}}`);
  }
  out.push(...pushStmt(g, sc, ind, z));
  sc.arrs.push({ name: z, len: g.fresh("G"), writable: true, plain: true, jsArray: true });
  return out;
}

/** `z.push(e)` or `z.push(e, e)` onto a growing array, a value sometimes reading z.length. */
export function pushStmt(g: Gen, sc: Scope, ind: string, z = g.pick(sc.growing)): string[] {
  const value = () => (g.chance(0.2) ? `${g.num(sc, 2)} + ${g.lit(0.05, 0.2)} * ${z}.length` : g.num(sc, 2));
  return [`${ind}${z}.push(${g.chance(0.3) ? `${value()}, ${value()}` : value()});`];
}

/** Initialisers of a new JavaScript Array of numbers by concatenation: `[...a, e, ...b]`, `[h, [e]].flat()`, `h.flatMap(f)`. */
export function concatInits(g: Gen, sc: Scope, weight: number): [number, () => string][] {
  const js = sc.arrs.filter((a) => a.jsArray);
  const part = () => (g.chance(0.7) ? g.pick(js) : undefined);
  return [
    [sc.arrs.length ? weight : 0, () => {
      const parts = [`...${g.pick(sc.arrs).name}`];
      for (let k = g.rng.int(0, 2); k > 0; k--) parts.splice(g.rng.int(0, parts.length), 0, g.chance(0.5) && sc.arrs.length ? `...${g.pick(sc.arrs).name}` : g.num(sc, 1));
      return `[${parts.join(", ")}]`;
    }],
    [weight * 0.7, () => {
      const rows = Array.from({ length: g.rng.int(1, 3) }, () => part()?.name ?? `[${Array.from({ length: g.rng.int(1, 2) }, () => g.num(sc, 1)).join(", ")}]`);
      return `[${rows.join(", ")}].flat()`;
    }],
    [sc.arrs.length ? weight * 0.7 : 0, () => {
      // of a JavaScript Array, or of one made from a typed array
      const a = js.length && g.chance(0.6) ? g.pick(js) : g.pick(sc.arrs);
      const { inner, head } = g.lambda(sc, g.chance(0.5) ? ["num"] : ["num", { idx: a.len }]);
      const body = g.chance(0.6) ? `[${g.num(inner, 1)}, ${g.num(inner, 1)}]` : g.num(inner, 2);
      return `${a.jsArray ? a.name : `Array.from(${a.name})`}.flatMap(${head} => ${body})`;
    }],
  ];
}

/** `(a, b) => a - b` or `b - a`, sometimes as a function expression. */
export function comparator(g: Gen, sc: Scope): string {
  const { names: [a, b], head } = g.lambda(sc, ["acc", "acc"]);
  const diff = g.chance(0.5) ? `${a} - ${b}` : `${b} - ${a}`;
  return g.chance(0.3) ? `function ${head} { return ${diff}; }` : `${head} => ${diff}`;
}

/** A sorted copy of `a`: `a.toSorted(cmp)`, `Array.from(a).sort(cmp)`, `a.slice().sort(cmp)`; whether it is a JavaScript Array. */
export function sortedCopy(g: Gen, sc: Scope, a: ArrRef): { init: string; plain: boolean; jsArray: boolean } {
  return g.choose([
    [1.5, () => ({ init: `${a.name}.toSorted(${comparator(g, sc)})`, plain: !!a.plain, jsArray: !!a.jsArray })],
    [1.2, () => ({ init: `Array.from(${a.name}).sort(${comparator(g, sc)})`, plain: true, jsArray: true })],
    [1, () => ({ init: `${a.name}.slice().sort(${comparator(g, sc)})`, plain: !!a.plain, jsArray: !!a.jsArray })],
  ]);
}

/** `h.sort(cmp)` in place, of a local array (not a parameter). */
export function sortStmt(g: Gen, sc: Scope, ind: string, h: ArrRef): string[] {
  return [`${ind}${h.name}.sort(${comparator(g, sc)});`];
}

/** `const ps = [[h, e], [a, e]]` (or `{ v: h, c: e }` objects) and `for (const [r, c] of ps) { … }`. */
export function pairsLoop(g: Gen, sc: Scope, ind: string): string[] {
  const arrays = sc.arrs.filter((a) => !a.reassignable);
  const ps = g.fresh("ps");
  const asObjects = g.chance(0.3);
  const elems = Array.from({ length: g.rng.int(2, 3) }, () => ({ arr: g.pick(arrays), num: g.num(sc, 2) }));
  const texts = elems.map(({ arr, num }) => (asObjects ? `{ v: ${arr.name}, c: ${num} }` : `[${arr.name}, ${num}]`));
  sc.declared.add(ps);
  const [r, c] = [g.fresh("r"), g.fresh("c")];
  const inner = child(sc);
  const all = elems.map((e) => e.arr);
  inner.arrs.push({ name: r, len: g.fresh("L"), writable: all.every((a) => a.writable), plain: all.some((a) => a.plain), view: all.some((a) => a.view) });
  inner.nums.push({ name: c, mutable: false });
  const head = asObjects ? `for (const { v: ${r}, c: ${c} } of ${ps})` : `for (const [${r}, ${c}] of ${ps})`;
  return [`${ind}const ${ps} = [${texts.join(", ")}];`, `${ind}${head} {`, ...g.loopBody(inner, ind, { contPrefix: "" }), `${ind}}`];
}

/** Lists whose elements are all arrays (writable ones, to write). */
export function rowLists(sc: Scope, writable = false): ListRef[] {
  return sc.lists.filter((l) => l.elems.every((e) => e !== "num" && (!writable || e.writable)));
}

/** An element of a row `ls[k]` with k known only at run time: `ls[k][0]`, `ls[k][ls[k].length - 1]`, `ls[k][i % ls[k].length]`. */
export function rowElement(g: Gen, sc: Scope, l: ListRef): string {
  const row = `${l.name}[${g.runtimeIndex(sc, `${l.name}.length`)}]`;
  const col = g.choose<string>([
    [1, () => "0"],
    [1, () => `${row}.length - 1`],
    [sc.idxs.length ? 2 : 0, () => `${g.pick(sc.idxs).name} % ${row}.length`],
  ]);
  return `${row}[${col}]`;
}

/** `ls[k][j] = e` (or `+=`, `*=`, `++`) with k known only at run time. */
export function rowWrite(g: Gen, sc: Scope, ind: string, l: ListRef): string[] {
  const target = rowElement(g, sc, l);
  return [ind + g.choose<string>([
    [2, () => `${target} = ${g.rhs(sc, 2)};`],
    [2, () => `${target} += ${g.rhs(sc, 2)};`],
    [1, () => `${target} *= ${g.lit(0.7, 0.9)} + ${g.lit(0.05, 0.2)} * Math.sin(${g.num(sc, 1)});`],
    [0.5, () => `${target}++;`],
  ])];
}
