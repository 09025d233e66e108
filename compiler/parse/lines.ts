// Line numbers of source offsets, from a table of where each line starts: built once
// per text (kept for the few texts being compiled), then a binary search per lookup.
const tables = new Map<string, Uint32Array>();
const KEPT = 32;

function lineStarts(text: string): Uint32Array {
  let starts = tables.get(text);
  if (starts) return starts;
  const list = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) list.push(i + 1);
  starts = Uint32Array.from(list);
  if (tables.size >= KEPT) tables.clear();
  tables.set(text, starts);
  return starts;
}

/** 1-based line and column of a character offset (offsets past the end count as the end). */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  const starts = lineStarts(text);
  const at = Math.max(0, Math.min(offset, text.length));
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= at) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo] + 1 };
}

/** 1-based line of a character offset. */
export function lineOf(text: string, offset: number): number {
  return positionAt(text, offset).line;
}
