// Sets of number and boolean vars whose value nothing reads: a backward liveness pass
// over the structured IR, loops to a fixed point. A loop body's last `v = 0`, which the
// next iteration overwrites before reading (an adjoint reset once folding knows it is 0
// at each iteration's start), is found here; a same-block "set, then set again" too.
// Array vars are left alone: a store writes through its binding.
import { isArrayType, varsRead, type Block, type Instr } from "../ir/types.js";

/** The sets in `body` whose value is never read, with `atEnd` the vars wanted after it. */
export function deadSets(body: Block, atEnd: ReadonlySet<number>): Set<Instr> {
  const dead = new Set<Instr>();
  through(body, new Set(atEnd), dead);
  return dead;
}

/**
 * Turns `live` (the vars read after `block`) into those read from its start, adding the
 * sets nothing reads to `dead` when given (only on a loop's last pass).
 */
function through(block: Block, live: Set<number>, dead: Set<Instr> | undefined): Set<number> {
  for (let n = block.length - 1; n >= 0; n--) {
    const i = block[n];
    switch (i.k) {
      case "set":
        if (isArrayType(i.v.type)) break;
        if (!live.has(i.v.id)) dead?.add(i);
        live.delete(i.v.id);
        break;
      case "if": {
        const then = through(i.then, new Set(live), dead);
        live = through(i.else, live, dead);
        for (const v of then) live.add(v);
        break;
      }
      case "for": live = loop(i.body, live, dead, i.exit?.id, i.index.id); break;
      case "while": live = whileLoop(i.test, i.body, live, dead); break;
      default:
        for (const v of varsRead(i)) live.add(v.id);
    }
  }
  return live;
}

/** Live vars before a counted loop: its body runs zero or more times; it sets `index`, reads `exit` before each iteration. */
function loop(body: Block, after: Set<number>, dead: Set<Instr> | undefined, exit: number | undefined, index: number): Set<number> {
  const head = new Set(after);
  if (exit !== undefined) head.add(exit);
  for (;;) {
    const start = through(body, new Set(head), undefined);
    if (!grows(head, start)) break;
  }
  if (dead) through(body, new Set(head), dead);
  head.delete(index);
  return head;
}

/** Live vars before `while (test) body`: the test runs before each iteration and last. */
function whileLoop(test: Block, body: Block, after: Set<number>, dead: Set<Instr> | undefined): Set<number> {
  const head = new Set(after); // what is read from the test's end on: after, or the body
  for (;;) {
    const start = through(body, through(test, new Set(head), undefined), undefined);
    if (!grows(head, start)) break;
  }
  if (dead) through(body, through(test, new Set(head), dead), dead);
  return through(test, head, dead);
}

/** Adds `more` to `set`; whether that added anything. */
function grows(set: Set<number>, more: ReadonlySet<number>): boolean {
  const size = set.size;
  for (const v of more) set.add(v);
  return set.size > size;
}
