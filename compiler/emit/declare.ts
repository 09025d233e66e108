// Where each local is declared in emitted code: at its first assignment when that
// assignment comes before every other use in the innermost block holding all its
// uses (`let s = 0;`, `const a = ...;`, `for (let i = ...)`), else at the top of the
// function.
import { append } from "../ir/id-table.js";
import { childBlocks, type Block, type Func, type Instr, type Var } from "../ir/types.js";

export interface Declarations {
  /** Assignments that declare their var, with the keyword. */
  at: Map<Instr, "let" | "const">;
  /** Loops that declare their index. */
  loops: Set<Instr>;
  /** Vars declared at the top of the function. */
  hoisted: Var[];
}

type Path = [Block, number][];

export function planDeclarations(f: Func, keep: Var[]): Declarations {
  const params = new Set(f.params.map((p) => p.id));
  const paths = new Map<number, Path[]>();
  const writes = new Map<number, Instr[]>();
  const vars = new Map<number, Var>();
  const visit = (block: Block, path: Path) => {
    block.forEach((i, at) => {
      const here: Path = [...path, [block, at]];
      for (const [v, isWrite] of accesses(i)) {
        if (params.has(v.id)) continue;
        vars.set(v.id, v);
        append(paths, v.id, here);
        if (isWrite) append(writes, v.id, i);
      }
      for (const c of childBlocks(i)) visit(c, here);
    });
  };
  visit(f.body, []);
  // Vars read after the body (result, outputs) are used at its very end.
  for (const v of keep) {
    if (params.has(v.id)) continue;
    vars.set(v.id, v);
    append(paths, v.id, [[f.body, f.body.length]]);
  }
  const out: Declarations = { at: new Map(), loops: new Set(), hoisted: [] };
  for (const [id, v] of vars) {
    const first = firstInCommonBlock(paths.get(id)!);
    const ws = writes.get(id) ?? [];
    if (!first) out.hoisted.push(v);
    else if ((first.k === "set" || first.k === "alloc" || first.k === "ref") && first.v === v) out.at.set(first, ws.length === 1 ? "const" : "let");
    else if (first.k === "for" && first.index === v && ws.length === 1 && onlyInside(paths.get(id)!, first)) out.loops.add(first);
    else out.hoisted.push(v);
  }
  return out;
}

/** The instruction, in the innermost block holding all accesses, that holds the first one. */
function firstInCommonBlock(paths: Path[]): Instr | undefined {
  let depth = 0;
  while (paths.every((p) => p.length > depth && p[depth][0] === paths[0][depth][0])) depth++;
  if (depth === 0) return undefined;
  const block = paths[0][depth - 1][0];
  let at = Infinity;
  for (const p of paths) at = Math.min(at, p[depth - 1][1]);
  return block[at];
}

function onlyInside(paths: Path[], loop: Instr): boolean {
  return paths.every((p) => p.some(([b, at]) => b[at] === loop));
}

/** Vars an instruction reads or writes itself (not in nested blocks), with whether it writes. */
function accesses(i: Instr): [Var, boolean][] {
  switch (i.k) {
    case "get": return [[i.v, false]];
    case "set": case "alloc": case "popref": case "ref": {
      const out: [Var, boolean][] = [[i.v, true]];
      if (i.k === "alloc" && i.copyOf) out.push([i.copyOf, false]);
      if (i.k === "ref") out.push([i.from, false]);
      return out;
    }
    case "load": case "len": case "store": case "fill": return [[i.arr, false]];
    case "pushref": return [[i.v, false]];
    case "call": return [...(i.out ? [[i.out, false] as [Var, boolean]] : []), ...i.ins.map((v): [Var, boolean] => [v, false])];
    case "for": return i.exit ? [[i.index, true], [i.exit, false]] : [[i.index, true]];
    case "invoke": return [...i.args.map((v): [Var, boolean] => [v, false]), ...i.outs.map((v): [Var, boolean] => [v, true])];
    default: return [];
  }
}
