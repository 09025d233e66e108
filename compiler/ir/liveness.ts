// Which vars are live where: a backward pass over the structured IR, loops to a fixed
// point. Number and boolean vars die at a `set` (and a loop's index at its loop, a piece's
// outputs at its call); array vars never do, since a store writes through the binding.
// Used for the sets nothing reads (simplify: a loop body's last `u_bar = 0`, which the next
// iteration overwrites before reading it) and for what outlined pieces pass (outline.ts).
import { isArrayType, varsRead, type Block, type Instr, type Var } from "./types.js";

/** What a pass collects besides the live sets: sets nothing reads, each nested block's live vars at its end. */
interface Collect {
  dead?: Set<Instr>;
  blockEnds?: WeakMap<Block, ReadonlySet<number>>;
}

/** The sets in `body` whose value is never read, with `atEnd` the vars wanted after it. */
export function deadSets(body: Block, atEnd: ReadonlySet<number>): Set<Instr> {
  const dead = new Set<Instr>();
  through(body, new Set(atEnd), { dead });
  return dead;
}

/** The vars live at the end of each block nested in `body` (`body` itself: `atEnd`). */
export function liveAtBlockEnds(body: Block, atEnd: ReadonlySet<number>): WeakMap<Block, ReadonlySet<number>> {
  const blockEnds = new WeakMap<Block, ReadonlySet<number>>([[body, atEnd]]);
  through(body, new Set(atEnd), { blockEnds });
  return blockEnds;
}

/** Turns `live`, the vars live after `block`, into those live before it (in place when it can). */
export function liveBefore(block: Block, live: Set<number>): Set<number> {
  return through(block, live, undefined);
}

const killed = (v: Var) => !isArrayType(v.type);

/** `liveBefore`, recording what `record` asks for (only on a loop's last pass). */
function through(block: Block, live: Set<number>, record: Collect | undefined): Set<number> {
  for (let n = block.length - 1; n >= 0; n--) {
    const i = block[n];
    switch (i.k) {
      case "set":
        if (!killed(i.v)) break;
        if (!live.has(i.v.id)) record?.dead?.add(i);
        live.delete(i.v.id);
        break;
      case "if": {
        record?.blockEnds?.set(i.then, new Set(live)).set(i.else, new Set(live));
        const then = through(i.then, new Set(live), record);
        live = through(i.else, live, record);
        for (const v of then) live.add(v);
        break;
      }
      case "for": live = loop(i.body, live, record, i.exit?.id, i.index.id); break;
      case "while": live = whileLoop(i.test, i.body, live, record); break;
      case "invoke":
        for (const v of i.outs) if (killed(v)) live.delete(v.id);
        for (const v of i.args) live.add(v.id);
        break;
      default:
        for (const v of varsRead(i)) live.add(v.id);
    }
  }
  return live;
}

/** Live vars before a counted loop: its body runs zero or more times; it sets `index`, reads `exit` before each iteration. */
function loop(body: Block, after: Set<number>, record: Collect | undefined, exit: number | undefined, index: number): Set<number> {
  const head = new Set(after);
  if (exit !== undefined) head.add(exit);
  while (grows(head, through(body, new Set(head), undefined)));
  if (record) {
    record.blockEnds?.set(body, new Set(head));
    through(body, new Set(head), record);
  }
  head.delete(index);
  return head;
}

/** Live vars before `while (test) body`: the test runs before each iteration and last. */
function whileLoop(test: Block, body: Block, after: Set<number>, record: Collect | undefined): Set<number> {
  const head = new Set(after); // live at the test's end: after the loop, or in the body
  while (grows(head, through(body, through(test, new Set(head), undefined), undefined)));
  if (record) {
    const start = through(test, new Set(head), undefined);
    record.blockEnds?.set(test, new Set(head)).set(body, new Set(start));
    through(body, start, record);
  }
  return through(test, head, record);
}

/** Adds `more` to `set`; whether that added anything. */
function grows(set: Set<number>, more: ReadonlySet<number>): boolean {
  const size = set.size;
  for (const v of more) set.add(v);
  return set.size > size;
}
