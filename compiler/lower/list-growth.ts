// Growing plain arrays: `const z = []` then `z.push(v)`.
//
// An empty literal is an array of numbers until something else is pushed into it (the
// JavaScript source has no types): a Float64Array with room to spare and a length var,
// bound as a view (elements 0 … length of the storage) so that reads past the length
// are undefined. A push that finds it full moves the elements into an array twice as
// large (amortised O(1) a push, differentiated like any copy); before a counted loop the
// room for its pushes is made once instead (push-room.ts). The callback methods loop
// over the elements. Where the whole array is used (a helper's argument, a returned
// value, a name), the storage is first cut to the length, and such a use is refused
// when a push may follow it: what keeps it would keep the old array. An empty literal
// whose first push is an array or an object becomes a list, and a list grows when
// compiling: each push must run once each time the literal does (straight-line code or
// an unrolled loop around both), which is checked on the lowered IR. Concatenation
// (.flat, .flatMap, spread) is concat.ts.
import type * as ESTree from "acorn";
import { refuse } from "../errors.js";
import type { Block, Instr, Temp, Var } from "../ir/types.js";
import type { FnNode, SourceText } from "../parse/source.js";
import { lineOf } from "../parse/lines.js";
import { UNNAMED_ARRAY } from "./call.js";
import { CALLBACK_METHODS } from "./methods.js";
import type { Lowerer, Val } from "./context.js";
import { lowerExpr, lowerNum } from "./expr.js";
import { visit } from "./exits.js";
import type { Binding, Scope } from "./scope.js";
import { bindValue } from "./stmt.js";
import { loadElement } from "./views.js";
import { checkPlainReliance, followPlain, isJsArray, markPlain } from "./concat.js";
import { makeRoom } from "./push-room.js";
import { ownInPlace } from "./rebind.js";

type ViewBinding = Extract<Binding, { k: "view" }>;
type ListVal = Extract<Val, { k: "obj" }>;

export interface Growing {
  storage: Var;
  length: Var;
  /** The function whose body declares it. */
  root: FnNode;
  /** The `[]` of its declaration: a loop or function around it makes a new array each time it runs. */
  made?: ESTree.Node;
  source: SourceText;
  /** Where it was made: the home of the list it becomes when an array is pushed first. */
  home: Instr;
  /** Its first (empty) storage: made with the room for a loop's pushes instead when nothing reads it before. */
  alloc: Instr;
  /** Set once a number is pushed or the whole array is used: then it stays numbers. */
  numbers?: true;
  /** Set by any use: then assigning the name is refused (what was read before would not follow). */
  used?: true;
}

const growing = new WeakMap<Var, Growing>();

/** The length var of a growing array's storage (the callback methods loop over its elements, not its room). */
const storageLength = new WeakMap<Var, Var>();

export function lengthOfStorage(L: Lowerer, arr: Var): Temp {
  const length = storageLength.get(arr);
  return length ? L.b.get(length) : L.b.len(arr);
}

/** The `if (full) grow` before each push of a number: removed where room is made before a loop. */
export const growthChecks = new WeakMap<Instr, Growing>();

/** Lists made here (literals), with the marker of where they were made. */
const homes = new WeakMap<Map<string, Binding>, Instr>();

/** Markers (removed after lowering) of where lists were made and pushed onto. */
const markerInstrs = new WeakSet<Instr>();
interface Push { home: Instr; source: SourceText; node: ESTree.Node }
const pushedAt = new WeakMap<Instr, Push>();

/** The pushes onto each list, by the marker of where it was made (for messages). */
const pushesOf = new WeakMap<Instr, ESTree.Node[]>();

function stateOf(b: Binding | Val | undefined): Growing | undefined {
  return b?.k === "view" ? growing.get(b.length) : undefined;
}

/** Whether `b` is an Array of numbers growing by push (a view of its storage's room). */
export function isGrowing(b: Binding | undefined): boolean {
  return stateOf(b) !== undefined;
}

/** Why `name[index]` (at `at`) of a list of that many elements, past its end, is refused: its pushes, if any, were counted once each. */
export function listPastEnd(L: Lowerer, list: ListVal, index: string, name: string, at: ESTree.Node): Error {
  const home = homes.get(list.fields);
  const pushes = (home && pushesOf.get(home)) ?? [];
  const n = list.fields.size;
  const read = `${name}[${index}]`;
  if (pushes.length === 0) {
    return L.fail(at, "list index past its end", `${read} reads past the end of '${name}', an Array of ${n} arrays or objects (a length gradc knows when it compiles): JavaScript would read undefined.`,
      `Its indices are 0 to ${n - 1}.`);
  }
  const line = lineOf(L.fn.source.text, pushes[0].start);
  return L.fail(at, "list index past its end",
    `${read} reads past the end of '${name}', an Array of arrays or objects that has ${n} element${n === 1 ? "" : "s"} when gradc compiles: gradc counts its pushes (line ${line}) as it compiles, each once, and a push inside a loop it does not unroll (one that runs a number of times known only at run time) or in a branch adds one element however often it runs.`,
    "Loop a constant number of times or over an Array of known length (gradc unrolls those), push numbers into an Array of numbers instead, or write into a Float64Array of the final size (rows at i * n + j).");
}

/** The growing array a name is bound to (undefined for anything else). */
function named(node: ESTree.Node, scope: Scope): { b: ViewBinding; g: Growing; name: string } | undefined {
  if (node.type !== "Identifier") return undefined;
  const name = (node as ESTree.Identifier).name;
  const b = scope.lookup(name);
  const g = stateOf(b);
  if (!g) return undefined;
  use(g, name);
  return { b: b as ViewBinding, g, name };
}

/** A use of the array through `name`: its vars are named after the first. */
function use(g: Growing, name: string): void {
  g.used = true;
  if (g.storage.name !== UNNAMED_ARRAY) return;
  g.storage.name = name;
  g.length.name = `${name}_length`;
}

export function isEmptyLiteral(node: ESTree.Node): boolean {
  return node.type === "ArrayExpression" && (node as ESTree.ArrayExpression).elements.length === 0;
}

/** `const z = []`: an empty array of numbers, with its storage and length; a list if an array is pushed first. */
export function emptyArray(L: Lowerer, made: ESTree.Node): Val {
  const g = newGrowing(L, UNNAMED_ARRAY);
  g.made = made;
  const offset = L.b.newVar("start", "num");
  L.b.set(offset, L.b.num(0));
  return { k: "view", base: g.storage, offset, length: g.length };
}

/** An empty growing array of numbers: its storage (no room yet) and length. */
export function newGrowing(L: Lowerer, name: string): Growing {
  const storage = L.b.newVar(name, "f64[]");
  L.b.emit({ k: "alloc", v: storage, n: L.b.num(0) });
  const alloc = L.b.block[L.b.block.length - 1];
  const length = L.b.newVar(name === UNNAMED_ARRAY ? "length" : `${name}_length`, "num");
  L.b.set(length, L.b.num(0));
  const g: Growing = { storage, length, root: L.fn.node, source: L.fn.source, home: marker(L), alloc };
  growing.set(length, g);
  storageLength.set(storage, length);
  markPlain({ k: "arr", v: storage });
  return g;
}

/** A list made by a literal here: it may grow by push where it was made. */
export function madeList(L: Lowerer, list: ListVal): ListVal {
  homes.set(list.fields, marker(L));
  return list;
}

function marker(L: Lowerer): Instr {
  const flag = L.b.newVar("list_marker", "bool");
  L.b.set(flag, L.b.bool(true));
  const set = L.b.block[L.b.block.length - 1];
  markerInstrs.add(set);
  return set;
}

/**
 * `name = value` where `name` holds an empty literal not used yet (`let out = []; … out =
 * xs.map(…)`): the name becomes an array variable (the literal its first array), or, with
 * a list, that list where the literal was made (checked as a push is). Undefined when
 * `b` is not such a literal.
 */
export function assignEmpty(L: Lowerer, e: ESTree.AssignmentExpression, b: Binding | undefined, scope: Scope): Val | undefined {
  const g = stateOf(b);
  if (!g) return undefined;
  const name = (e.left as ESTree.Identifier).name;
  if (g.used || e.operator !== "=") {
    throw L.fail(e.left, "reassigning a growing array", `'${name}' is an Array that grows by push or was read before: it cannot be reassigned here.`,
      "Push into it, or declare another name for the new array.");
  }
  const value = lowerExpr(L, e.right, scope);
  const binding = b as unknown as Record<string, unknown>;
  for (const key of Object.keys(binding)) delete binding[key];
  if (value.k === "arr") {
    storageLength.delete(g.storage);
    followPlain(g.storage, value.v);
    g.storage.name = name;
    L.rebindable.set(g.storage, g.root);
    if (value.v !== g.storage) L.b.emit({ k: "ref", v: g.storage, from: value.v });
    Object.assign(binding, { k: "arr", v: g.storage });
    return { k: "arr", v: g.storage };
  }
  if (value.k === "obj" && value.list) {
    ownInPlace(L, name, binding as unknown as ListVal, value);
    pushedAt.set(marker(L), { home: g.home, source: L.fn.source, node: e });
    return value;
  }
  throw L.fail(e, "type change", `'${name}' holds an Array; it cannot be assigned ${value.k === "temp" ? "a number" : value.k === "view" ? "a view" : "an object"}.`, "Keep each variable one type.");
}

/** `z.length`, `z[k]` of a growing array (undefined for other reads). */
export function growingRead(L: Lowerer, node: ESTree.MemberExpression, scope: Scope): Val | undefined {
  const found = named(node.object, scope);
  if (!found) return undefined;
  if (!node.computed && node.property.type === "Identifier" && node.property.name === "length") return { k: "temp", t: L.b.get(found.g.length) };
  if (!node.computed) return undefined;
  return { k: "temp", t: loadElement(L, found.b, lowerNum(L, node.property as ESTree.Expression, scope)) };
}

/** The target of `z[k] = v` when z is a growing array: its view. */
export function growingTarget(node: ESTree.Node, scope: Scope): Val | undefined {
  return named(node, scope)?.b;
}

/**
 * Before `z[k] = v` on a JavaScript Array (one growing by push, a literal, a `number[]`):
 * an index outside it would lengthen the Array (or add a property), which gradc's
 * fixed-length arrays do not follow, so it throws a RangeError instead.
 */
export function checkWritable(L: Lowerer, target: Val, idx: Temp): void {
  const g = stateOf(target);
  const plain = !g && target.k === "arr" && isJsArray(target.v);
  if (!g && !plain) return;
  const b = L.b;
  const length = g ? b.get(g.length) : b.len((target as Extract<Val, { k: "arr" }>).v);
  const outside = b.op("or", b.op("lt", idx, b.num(0)), b.op("ge", idx, length));
  const message = g ? "gradc: writing past the end of an Array that grows by push (push the element instead)"
    : "gradc: writing outside an Array of numbers, which JavaScript would lengthen and gradc does not (push into an Array made with [], or make it long enough first)";
  const then = L.block(() => L.b.emit({ k: "throw", error: "RangeError", message }));
  b.emit({ k: "if", cond: outside, then, else: [] });
}

/** `z.push(v, …)` on a name bound to an empty literal or a growing array: undefined otherwise. */
export function growingPush(L: Lowerer, node: ESTree.CallExpression, objNode: ESTree.Expression, scope: Scope): Val | undefined {
  const found = named(objNode, scope);
  if (!found) return fixedLength(L, objNode, scope);
  const { b, g, name } = found;
  const values = node.arguments.map((a) => {
    if (a.type === "SpreadElement") throw L.fail(a, "spread argument", "Spread arguments of .push are not supported.", `Push each element: for (const v of a) ${name}.push(v).`);
    return lowerExpr(L, a, scope);
  });
  const first = values[0];
  if (!g.numbers && first && first.k !== "temp") {
    // The first push is an array or an object: from now on the name is a list.
    const list = b as unknown as ListVal & { base?: Var; offset?: Var; length?: Var };
    delete list.base; delete list.offset; delete list.length;
    Object.assign(list, { k: "obj", fields: new Map<string, Binding>(), list: true });
    homes.set(list.fields, g.home);
    return pushOntoList(L, node, list as ListVal, scope, values);
  }
  g.numbers = true;
  values.forEach((v, i) => {
    if (v.k !== "temp" || v.t.type !== "num") {
      throw L.fail(node.arguments[i], ".push()", `'${name}' is an Array of numbers (numbers were pushed into it or it was used as one), and this is ${v.k === "temp" ? "a boolean" : "not a number"}.`,
        "Keep an Array of numbers and an Array of arrays or objects apart.");
    }
    pushNumber(L, g, v.t);
  });
  return { k: "temp", t: L.b.get(g.length) };
}

/** `x.push` on a typed array (or a literal of numbers, made a Float64Array): refused, its length is fixed. */
function fixedLength(L: Lowerer, objNode: ESTree.Expression, scope: Scope): undefined {
  const b = objNode.type === "Identifier" ? scope.lookup(objNode.name) : undefined;
  if (b?.k !== "arr" && b?.k !== "view") return undefined;
  const name = (objNode as ESTree.Identifier).name;
  throw L.fail(objNode, ".push()", `'${name}' is a typed array here (an argument, a copy, or an array literal of numbers, which gradc makes a Float64Array): its length is fixed.`,
    `Start from an empty literal (const ${name} = []) and push every element, or concatenate ([...${name}, v]).`);
}

export function pushNumber(L: Lowerer, g: Growing, value: Temp): void {
  const b = L.b;
  const held = b.newVar(`${g.storage.name}_pushed`, "num");
  b.set(held, value);
  const full = b.op("ge", b.get(g.length), b.len(g.storage));
  const grow = L.block(() => moveInto(L, g, L.b.op("add", L.b.op("mul", L.b.len(g.storage), L.b.num(2)), L.b.num(8))));
  b.emit({ k: "if", cond: full, then: grow, else: [] });
  growthChecks.set(b.block[b.block.length - 1], g);
  b.store(g.storage, b.get(g.length), b.get(held));
  b.set(g.length, b.op("add", b.get(g.length), b.num(1)));
}

/** The storage becomes a new array of `n` holding its elements (n ≥ length). */
export function moveInto(L: Lowerer, g: Growing, n: Temp): void {
  const b = L.b;
  const moved = b.newVar(`${g.storage.name}_grown`, "f64[]");
  b.emit({ k: "alloc", v: moved, n });
  const j = b.newVar("j", "num");
  const copy = L.block(() => L.b.store(moved, L.b.get(j), L.b.load(g.storage, L.b.get(j))));
  b.emit({ k: "for", index: j, start: b.num(0), end: b.get(g.length), step: 1, cmp: "<", body: copy });
  b.emit({ k: "ref", v: g.storage, from: moved });
}

/** The storage cut to the length (when it has room to spare): the whole array, exactly. */
export function cut(L: Lowerer, g: Growing): Val {
  g.numbers = true;
  const b = L.b;
  const spare = b.op("ne", b.len(g.storage), b.get(g.length));
  const then = L.block(() => moveInto(L, g, L.b.get(g.length)));
  b.emit({ k: "if", cond: spare, then, else: [] });
  return { k: "arr", v: g.storage };
}

/**
 * The receiver of a method other than push: for slice and fill the view of its elements;
 * for a callback method the storage (the loop runs over the elements), unless the
 * callback takes the array itself; otherwise the whole array (no other name keeps it).
 */
export function growingReceiver(L: Lowerer, node: ESTree.CallExpression, objNode: ESTree.Expression, name: string, scope: Scope): Val | undefined {
  const found = named(objNode, scope);
  if (!found) return undefined;
  if (name === "subarray" || name === "set") {
    throw L.fail(node.callee, `.${name}()`, `'${found.name}' is an Array (it grows by push), and an Array has no .${name} (a typed-array method).`, "Use .slice, or copy it into a Float64Array first.");
  }
  found.g.numbers = true;
  if (name === "slice" || name === "fill") return found.b;
  if (CALLBACK_METHODS.has(name) && !takesArray(node, name, scope)) return { k: "arr", v: found.g.storage };
  return cut(L, found.g);
}

/** Whether the callback of `a.method(cb)` has a parameter for the array (the third, the fourth for reduce). */
function takesArray(node: ESTree.CallExpression, name: string, scope: Scope): boolean {
  const cb = node.arguments[0];
  const fn = cb?.type === "ArrowFunctionExpression" || cb?.type === "FunctionExpression" ? cb
    : cb?.type === "Identifier" ? (scope.lookup(cb.name) as { node?: ESTree.Function } | undefined)?.node : undefined;
  if (!fn) return true;
  const at = name === "reduce" || name === "reduceRight" ? 3 : 2;
  return fn.params.length > at || fn.params.some((p) => p.type === "RestElement");
}

/**
 * A growing array used as a whole (bound to another name, passed, returned, spread):
 * the cut storage, refused when a push may run after this use, since the use may keep
 * the array while push moves its elements to a new one.
 */
export function wholeGrowing(L: Lowerer, node: ESTree.Identifier, b: Binding): Val | undefined {
  const g = stateOf(b);
  if (!g) return undefined;
  use(g, node.name);
  const later = pushSites(g.root, node.name).find((p) => mayRunAfter(g.root, p, node, g.made));
  if (later) {
    const line = lineOf(g.source.text, later.start);
    throw L.fail(node, "growing array used whole", `'${node.name}' grows by push (line ${line}) after it is used here as a whole array: whatever keeps it here would keep the array it was before.`,
      `Use it whole after the last push, or read its elements (${node.name}[i], ${node.name}.length) or call its methods (${node.name}.reduce(…)) here.`);
  }
  return cut(L, g);
}

function pushSites(root: FnNode, name: string): ESTree.Node[] {
  const sites: ESTree.Node[] = [];
  visit(root.body, (n) => {
    if (n.type !== "CallExpression" || n.callee.type !== "MemberExpression" || n.callee.computed) return;
    const { object, property } = n.callee;
    if (object.type === "Identifier" && object.name === name && property.type === "Identifier" && property.name === "push") sites.push(n);
  });
  return sites;
}

const LOOPS = new Set(["ForStatement", "ForOfStatement", "ForInStatement", "WhileStatement", "DoWhileStatement"]);
const FUNCTIONS = new Set(["ArrowFunctionExpression", "FunctionExpression", "FunctionDeclaration"]);

/**
 * Whether the push `p` may run after `use` onto the same array: it comes later, or it is
 * in a function called anywhere or a loop holding both, unless that function or loop also
 * holds the array's declaration `made` (each run of it makes a new array).
 */
function mayRunAfter(root: FnNode, p: ESTree.Node, use: ESTree.Node, made?: ESTree.Node): boolean {
  if (p.start > use.start) return true;
  let yes = false;
  visit(root.body, (n) => {
    if (yes || n === root.body || (made && n.start <= made.start && made.end <= n.end)) return;
    const holdsP = n.start <= p.start && p.end <= n.end;
    if (holdsP && FUNCTIONS.has(n.type)) yes = true;
    if (holdsP && LOOPS.has(n.type) && n.start <= use.start && use.end <= n.end) yes = true;
  });
  return yes;
}

/** `xs.push(v, …)` on a list: new elements, known when compiling; the push must run once where the list was made. */
export function pushOntoList(L: Lowerer, node: ESTree.CallExpression, list: ListVal, scope: Scope, values?: Val[]): Val {
  const home = homes.get(list.fields);
  if (!home) {
    throw L.fail(node.callee, ".push()", "This Array of arrays or objects was not made by a literal in the function (an argument, or what a method made), so gradc cannot follow its growth.",
      "Make a new one with a literal ([] or [a, b]) and push into that.");
  }
  const vals = values ?? node.arguments.map((a) => {
    if (a.type === "SpreadElement") throw L.fail(a, "spread argument", "Spread arguments of .push are not supported.", "Push each element.");
    return lowerExpr(L, a, scope);
  });
  for (const v of vals) {
    if (v.k === "tuple") throw L.fail(node, "pair in an array", "A derivative's [value, gradient] pair cannot be an array element.", "Destructure it first.");
    const i = list.fields.size;
    list.fields.set(String(i), bindValue(L, `item${i}`, v, true));
  }
  pushedAt.set(marker(L), { home, source: L.fn.source, node });
  pushesOf.set(home, [...(pushesOf.get(home) ?? []), node]);
  return { k: "temp", t: L.b.num(list.fields.size) };
}

/** After lowering: room made before loops for the numbers they push, and the lists' pushes checked. */
export function finishGrowth(L: Lowerer, body: Block): void {
  checkPlainReliance(L);
  makeRoom(L, body);
  checkListGrowth(body);
}

/**
 * After lowering: each push onto a list ran in the block where the list was made (so
 * exactly once each time it was made, as when compiling); the markers are removed.
 */
function checkListGrowth(body: Block): void {
  const blockOf = new Map<Instr, Block>();
  const drop = (block: Block): void => {
    for (let k = block.length - 1; k >= 0; k--) {
      const i = block[k];
      if (i.k === "set" && markerInstrs.has(i)) {
        blockOf.set(i, block);
        const prev = block[k - 1];
        const isMarkerConst = prev?.k === "const" && prev.dst === i.src;
        block.splice(isMarkerConst ? k - 1 : k, isMarkerConst ? 2 : 1);
        if (isMarkerConst) k--;
        continue;
      }
      if (i.k === "if") { drop(i.then); drop(i.else); }
      else if (i.k === "for") drop(i.body);
      else if (i.k === "while") { drop(i.test); drop(i.body); }
    }
  };
  const pushBlocks: { m: Push; pushed: Instr }[] = [];
  const collect = (block: Block): void => {
    for (const i of block) {
      const m = pushedAt.get(i);
      if (m) pushBlocks.push({ m, pushed: i });
      if (i.k === "if") { collect(i.then); collect(i.else); }
      else if (i.k === "for") collect(i.body);
      else if (i.k === "while") { collect(i.test); collect(i.body); }
    }
  };
  collect(body);
  drop(body);
  for (const { m, pushed } of pushBlocks) {
    if (blockOf.get(m.home) === blockOf.get(pushed)) continue;
    throw refuse(m.source, m.node, "list push in a loop or branch",
      "This pushes an array or an object (or assigns an Array of them to a name declared with []) inside a loop that runs a number of times known only at run time, or in a branch, or after an early exit: gradc keeps such an Array as separate values, one per element, and must know how many there are when it compiles.",
      "Push numbers into an Array of numbers instead (one number per push), write into a Float64Array of the final size (rows at i * n + j), or loop over an Array of known length (for…of over a list, or a constant bound), which gradc unrolls.");
  }
}
