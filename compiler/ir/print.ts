// Text form of the IR (`gradc show --ir`): one instruction a line, nested blocks indented.
import type { Block, Func, Instr, Temp, Var } from "./types.js";

const t = (x: Temp) => `%${x.id}`;
const v = (x: Var) => `${x.name}#${x.id}`;

export function printFunc(f: Func): string {
  const params = f.params.map((p) => `${v(p)}: ${p.type}`).join(", ");
  const outs = [f.result, ...(f.outputs ?? [])].map(v).join(", ");
  return `func ${f.name}(${params}) -> ${outs} {\n${printBlock(f.body, 1)}}\n`;
}

export function printBlock(block: Block, depth: number): string {
  return block.map((i) => printInstr(i, depth)).join("");
}

function printInstr(i: Instr, depth: number): string {
  const pad = "  ".repeat(depth);
  const line = (s: string) => `${pad}${s}${i.loc ? `    ; line ${i.loc.line}` : ""}\n`;
  const nested = (b: Block) => printBlock(b, depth + 1);
  switch (i.k) {
    case "const": return line(`${t(i.dst)}: ${i.dst.type} = const ${i.value}`);
    case "op": return line(`${t(i.dst)}: ${i.dst.type} = ${i.op} ${i.args.map(t).join(", ")}`);
    case "get": return line(`${t(i.dst)}: ${i.dst.type} = get ${v(i.v)}`);
    case "set": return line(`set ${v(i.v)}, ${t(i.src)}`);
    case "load": return line(`${t(i.dst)}: num = load ${v(i.arr)}[${t(i.idx)}]`);
    case "store": return line(`store ${v(i.arr)}[${t(i.idx)}], ${t(i.src)}`);
    case "len": return line(`${t(i.dst)}: num = len ${v(i.arr)}`);
    case "alloc": return line(`alloc ${v(i.v)}: ${i.v.type}, ${i.copyOf ? `copy of ${v(i.copyOf)}` : `length ${t(i.n)}`}`);
    case "ref": return line(`ref ${v(i.v)} = ${v(i.from)}`);
    case "fill": return line(`fill ${v(i.arr)}, ${t(i.src)}`);
    case "push": return line(`push.${i.tape} ${t(i.src)}${i.room ? " (room made)" : ""}`);
    case "pop": return line(`${t(i.dst)}: ${i.dst.type} = pop.${i.tape}`);
    case "pushref": return line(`pushref.${i.tape} ${v(i.v)}`);
    case "reserve": return line(`reserve.${i.tape} ${t(i.n)}`);
    case "popref": return line(`popref.${i.tape} ${v(i.v)}`);
    case "throw": return line(`throw ${i.error}${i.message === undefined ? "" : ` ${JSON.stringify(i.message)}`}`);
    case "if": return `${line(`if ${t(i.cond)} {`)}${nested(i.then)}${pad}} else {\n${nested(i.else)}${pad}}\n`;
    case "for": {
      const exit = i.exit ? ` until ${v(i.exit)}` : "";
      return `${line(`for ${v(i.index)} = ${t(i.start)} ${i.cmp} ${t(i.end)} step ${i.step}${exit} {`)}${nested(i.body)}${pad}}\n`;
    }
    case "call": {
      const lhs = i.dst ? `${t(i.dst)}: num = ` : "";
      const into = i.out ? `${v(i.out)} ${i.accumulate ? "+=" : "="} ` : "";
      return line(`${lhs}${into}call ${i.kernel}(${[...i.ins.map(v), ...i.args.map(t)].join(", ")})`);
    }
    case "invoke": return line(`${i.outs.map(v).join(", ")} = invoke ${i.piece.name}(${i.args.map(v).join(", ")})`);
    case "while":
      return `${line("while {")}${nested(i.test)}${pad}} test ${t(i.cond)} do {\n${nested(i.body)}${pad}}\n`;
  }
}
