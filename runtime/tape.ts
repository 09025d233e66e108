// The tape: a growable stack of numbers (and one of array references) that the
// forward sweep of derivative code pushes to and the backward sweep pops from.

export class Tape {
  private buf: Float64Array;
  private top = 0;
  private readonly refs: (Float64Array | Float32Array)[] = [];

  constructor(capacity = 1024) {
    this.buf = new Float64Array(capacity);
  }

  push(x: number): void {
    if (this.top === this.buf.length) this.grow(this.top + 1);
    this.buf[this.top++] = x;
  }

  pop(): number {
    return this.buf[--this.top];
  }

  pushRef(a: Float64Array | Float32Array): void {
    this.refs.push(a);
  }

  popRef(): Float64Array | Float32Array {
    return this.refs.pop()!;
  }

  /** Makes room for `n` more values, so a sweep of known length never grows the tape. */
  reserve(n: number): void {
    if (this.top + n > this.buf.length) this.grow(this.top + n);
  }

  /** Number of values on the tape (0 after a complete forward and backward sweep). */
  get size(): number {
    return this.top;
  }

  /** Empties the tape (after an exception left a sweep unfinished). */
  reset(): void {
    this.top = 0;
    this.refs.length = 0;
  }

  private grow(min: number): void {
    const next = new Float64Array(Math.max(min, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.top));
    this.buf = next;
  }
}
