// The tape: a growable stack of numbers (and one of array references) that the
// forward sweep of derivative code pushes to and the backward sweep pops from.
// Generated code keeps the stack of numbers in locals while it runs (`values` and an
// index, as hand-written code would: no call per push or pop): it takes them from the
// tape on entry, asks `room` before a push that may not fit, and hands its index back
// with `sync` before it calls another function using the tape, before it pops after
// pushing (so `peakBytes` sees the peak) and on its way out.

export class Tape {
  /**
   * Bytes held by all tapes now (8 per value plus the arrays referenced), and the most
   * they held since `resetPeak()`: what derivative code stores for its backward sweep,
   * snapshots of checkpointed loops included.
   */
  static bytes = 0;
  static peakBytes = 0;

  static resetPeak(): void {
    Tape.peakBytes = Tape.bytes;
  }

  /** The numbers; those below `top` are on the tape. */
  values: Float64Array;
  /** Number of values on the tape, as of the last push, pop or `sync`. */
  top = 0;
  private readonly refs: (Float64Array | Float32Array)[] = [];

  constructor(capacity = 1024) {
    this.values = new Float64Array(capacity);
  }

  push(x: number): void {
    if (this.top === this.values.length) this.grow(this.top, this.top + 1);
    this.values[this.top++] = x;
    if ((Tape.bytes += 8) > Tape.peakBytes) Tape.peakBytes = Tape.bytes;
  }

  pop(): number {
    Tape.bytes -= 8;
    return this.values[--this.top];
  }

  /** Saves an array reference (possibly still unset: `undefined` before its first allocation). */
  pushRef(a: Float64Array | Float32Array | undefined): void {
    this.refs.push(a as Float64Array);
    if (a !== undefined && (Tape.bytes += a.byteLength) > Tape.peakBytes) Tape.peakBytes = Tape.bytes;
  }

  popRef(): Float64Array | Float32Array {
    const a = this.refs.pop()!;
    if (a !== undefined) Tape.bytes -= a.byteLength;
    return a;
  }

  /** Makes room for `n` more values, so a sweep of known length never grows the tape. */
  reserve(n: number): void {
    if (this.top + n > this.values.length) this.grow(this.top, this.top + n);
  }

  /** `values`, with room for `n` more after `top` (generated code's index). */
  room(top: number, n: number): Float64Array {
    if (top + n > this.values.length) this.grow(top, top + n);
    return this.values;
  }

  /**
   * Takes generated code's index as the tape's size. An index past the end means pushes
   * were dropped (room was not made for them): a bug in gradc, reported rather than
   * left to give a wrong derivative.
   */
  sync(top: number): void {
    if (top > this.values.length) throw new Error(`gradc: ${top - this.values.length} values pushed past the end of the tape; please report this with the function that caused it`);
    if ((Tape.bytes += (top - this.top) * 8) > Tape.peakBytes) Tape.peakBytes = Tape.bytes;
    this.top = top;
  }

  /** Number of values on the tape (0 after a complete forward and backward sweep). */
  get size(): number {
    return this.top;
  }

  /** Empties the tape (after an exception left a sweep unfinished). */
  reset(): void {
    Tape.bytes -= this.top * 8 + this.refs.reduce((n, a) => n + (a?.byteLength ?? 0), 0);
    this.top = 0;
    this.refs.length = 0;
  }

  /** A larger `values` holding at least `min`, the first `top` copied. */
  private grow(top: number, min: number): void {
    const next = new Float64Array(Math.max(min, this.values.length * 2));
    next.set(this.values.subarray(0, top));
    this.values = next;
  }
}
