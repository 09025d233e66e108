// Tables keyed by temp or var id. Ids are small non-negative integers handed out in
// order (builder.ts), so a typed array indexed by id, grown as needed, does what a Map
// or Set would at a fraction of the cost on functions of many thousand instructions;
// and the lists of items (positions, paths) kept per id in a Map.

/** Ids to non-negative integers; an id never set reads as -1. */
export class IdInts {
  private a: Int32Array;

  /** `capacity`: the ids expected (below it no growing is needed). */
  constructor(capacity = 256) {
    this.a = new Int32Array(Math.max(capacity, 16)).fill(-1);
  }

  get(id: number): number {
    return id < this.a.length ? this.a[id] : -1;
  }

  has(id: number): boolean {
    return this.get(id) >= 0;
  }

  set(id: number, value: number): void {
    if (id >= this.a.length) this.grow(id);
    this.a[id] = value;
  }

  private grow(id: number): void {
    let n = this.a.length * 2;
    while (n <= id) n *= 2;
    const a = new Int32Array(n).fill(-1);
    a.set(this.a);
    this.a = a;
  }
}

/** Appends `item` to the list kept for `id`. */
export function append<T>(lists: Map<number, T[]>, id: number, item: T): void {
  const list = lists.get(id);
  if (list) list.push(item);
  else lists.set(id, [item]);
}

/** Appends the position `n` to the ascending list kept for `id`, unless it is already last. */
export function appendOnce(lists: Map<number, number[]>, id: number, n: number): void {
  const list = lists.get(id);
  if (!list) lists.set(id, [n]);
  else if (list[list.length - 1] !== n) list.push(n);
}

/** A set of ids. */
export class IdSet {
  private readonly ints: IdInts;

  constructor(capacity?: number) {
    this.ints = new IdInts(capacity);
  }

  has(id: number): boolean {
    return this.ints.has(id);
  }

  add(id: number): void {
    this.ints.set(id, 1);
  }
}
