// The tape: a growable stack of numbers (and one of array references) that the
// forward sweep of derivative code pushes to and the backward sweep pops from.

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

  private buf: Float64Array;
  private top = 0;
  private readonly refs: (Float64Array | Float32Array)[] = [];

  constructor(capacity = 1024) {
    this.buf = new Float64Array(capacity);
  }

  push(x: number): void {
    if (this.top === this.buf.length) this.grow(this.top + 1);
    this.buf[this.top++] = x;
    if ((Tape.bytes += 8) > Tape.peakBytes) Tape.peakBytes = Tape.bytes;
  }

  pop(): number {
    Tape.bytes -= 8;
    return this.buf[--this.top];
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
    if (this.top + n > this.buf.length) this.grow(this.top + n);
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

  private grow(min: number): void {
    const next = new Float64Array(Math.max(min, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.top));
    this.buf = next;
  }
}
