// A small WebAssembly binary assembler: enough of the format (types, one imported
// memory, functions, exports) and of the instruction set (i32 control and arithmetic,
// f32/f64 scalar memory access, the 128-bit SIMD ops the kernels use) to build the
// runtime's kernels at load time. Every instruction that runs is written in the
// TypeScript of runtime/kernels/wasm/: no binary is checked in, no build step.
//
// Encoding as in the WebAssembly core specification (binary format, version 1, with
// the fixed-width SIMD proposal): LEB128 integers, sections of (id, size, contents),
// function bodies of (size, locals, instructions, end).

/** Value types. */
export const i32 = 0x7f, f32 = 0x7d, f64 = 0x7c, v128 = 0x7b;
export type ValType = typeof i32 | typeof f32 | typeof f64 | typeof v128;

/** One-byte opcodes. */
export const op = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d, return: 0x0f,
  call: 0x10, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22,
  f32_load: 0x2a, f64_load: 0x2b, f32_store: 0x38, f64_store: 0x39,
  i32_const: 0x41, f32_const: 0x43, f64_const: 0x44,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_ge_u: 0x4f,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_u: 0x6e, i32_and: 0x71, i32_or: 0x72, i32_shl: 0x74, i32_shr_u: 0x76,
  f32_add: 0x92, f32_sub: 0x93, f32_mul: 0x94, f64_add: 0xa0, f64_sub: 0xa1, f64_mul: 0xa2, f64_div: 0xa3,
  f32_demote_f64: 0xb6, f64_promote_f32: 0xbb,
} as const;

/** SIMD opcodes, each written as the prefix 0xfd then the number as an unsigned LEB128. */
export const simd = {
  v128_load: 0x00, v128_load32_splat: 0x09, v128_load64_splat: 0x0a, v128_store: 0x0b, v128_const: 0x0c,
  v128_load32_lane: 0x56, v128_load64_lane: 0x57,
  f32x4_splat: 0x13, f64x2_splat: 0x14, f32x4_extract_lane: 0x1f, f64x2_extract_lane: 0x21,
  f32x4_gt: 0x44, f64x2_gt: 0x4a, v128_and: 0x4e, v128_or: 0x50, v128_bitselect: 0x52,
  f32x4_demote_f64x2_zero: 0x5e, f64x2_promote_low_f32x4: 0x5f,
  v128_store64_lane: 0x5b, i8x16_shuffle: 0x0d,
  f64x2_lt: 0x49, f64x2_ge: 0x4c, i64x2_shl: 0xcb, i64x2_add: 0xce,
  f64x2_abs: 0xec, f64x2_neg: 0xed, f64x2_min: 0xf4, f64x2_max: 0xf5,
  f32x4_add: 0xe4, f32x4_sub: 0xe5, f32x4_mul: 0xe6, f32x4_div: 0xe7, f32x4_pmax: 0xeb,
  f64x2_add: 0xf0, f64x2_sub: 0xf1, f64x2_mul: 0xf2, f64x2_div: 0xf3, f64x2_pmax: 0xf7,
} as const;
const SIMD_PREFIX = 0xfd;
const BLOCK_EMPTY = 0x40;

export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  return out;
}

export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** Alignment exponents (log2 bytes) of natural accesses. */
const ALIGN = { f32: 2, f64: 3, v128: 4 } as const;

/**
 * The instructions of one function body, appended by chained calls. Locals are
 * numbered params first, then those made by `local(type)`.
 */
export class Code {
  readonly bytes: number[] = [];
  readonly locals: ValType[] = [];
  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[] = []) {}

  /** A new local of `type`; returns its index. */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  emit(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  get(index: number): this { return this.emit(op.local_get, ...uleb(index)); }
  set(index: number): this { return this.emit(op.local_set, ...uleb(index)); }
  tee(index: number): this { return this.emit(op.local_tee, ...uleb(index)); }
  i32(value: number): this { return this.emit(op.i32_const, ...sleb(value)); }
  call(func: number): this { return this.emit(op.call, ...uleb(func)); }

  /** A scalar load or store (f32_load, f64_store, …) at the address on the stack plus `offset`. */
  mem(opcode: number, offset = 0): this {
    const align = opcode === op.f32_load || opcode === op.f32_store ? ALIGN.f32 : ALIGN.f64;
    return this.emit(opcode, align, ...uleb(offset));
  }

  /** A SIMD instruction without immediates. */
  v(opcode: number): this { return this.emit(SIMD_PREFIX, ...uleb(opcode)); }

  /** A SIMD memory instruction (v128_load, v128_store, load splats) with `offset`. */
  vmem(opcode: number, offset = 0): this {
    const align = opcode === simd.v128_load32_splat ? ALIGN.f32 : opcode === simd.v128_load64_splat ? ALIGN.f64 : ALIGN.v128;
    return this.emit(SIMD_PREFIX, ...uleb(opcode), align, ...uleb(offset));
  }

  /** A load into one lane (v128_load32_lane, v128_load64_lane): address, vector -> vector. */
  loadLane(opcode: number, lane: number, offset = 0): this {
    const align = opcode === simd.v128_load32_lane ? ALIGN.f32 : ALIGN.f64;
    return this.emit(SIMD_PREFIX, ...uleb(opcode), align, ...uleb(offset), lane);
  }

  /** A lane extraction (f32x4_extract_lane, f64x2_extract_lane). */
  lane(opcode: number, index: number): this { return this.emit(SIMD_PREFIX, ...uleb(opcode), index); }

  /** f32.const 0 or f64.const 0. */
  zero(type: typeof f32 | typeof f64): this {
    return type === f32 ? this.emit(op.f32_const, 0, 0, 0, 0) : this.emit(op.f64_const, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  /** f64.const `value`. */
  f64(value: number): this { return this.emit(op.f64_const, ...new Uint8Array(new Float64Array([value]).buffer)); }

  /** v128.const of `value` in both f64 lanes (an i64 pair with `int`). */
  vconst64(value: number, int = false): this {
    const lane = int ? new Uint8Array(new BigInt64Array([BigInt(value)]).buffer) : new Uint8Array(new Float64Array([value]).buffer);
    return this.emit(SIMD_PREFIX, ...uleb(simd.v128_const), ...lane, ...lane);
  }

  /** A store of one 64-bit lane (v128_store64_lane) at the address below the vector. */
  storeLane64(lane: number, offset = 0): this {
    return this.emit(SIMD_PREFIX, ...uleb(simd.v128_store64_lane), ALIGN.f64, ...uleb(offset), lane);
  }

  /** i8x16.shuffle of the two vectors on the stack: byte i of the result is byte lanes[i] of (a ++ b). */
  shuffle(lanes: readonly number[]): this {
    return this.emit(SIMD_PREFIX, ...uleb(simd.i8x16_shuffle), ...lanes);
  }

  /** v128.const of sixteen zero bytes. */
  vzero(): this { return this.emit(SIMD_PREFIX, ...uleb(simd.v128_const), ...new Array(16).fill(0)); }

  /**
   * A do-while loop: `body` runs, then the loop repeats while the i32 that `again`
   * leaves on the stack is non-zero.
   */
  doWhile(body: () => void, again: () => void): this {
    this.emit(op.loop, BLOCK_EMPTY);
    body();
    again();
    this.emit(op.br_if, 0, op.end);
    return this;
  }

  /** A while loop: `body` runs as long as the i32 that `test` leaves is non-zero. */
  whileDo(test: () => void, body: () => void): this {
    test();
    return this.ifElse(() => this.doWhile(body, test));
  }

  /** if (i32 on the stack) { then } else { otherwise }, without results. */
  ifElse(then: () => void, otherwise?: () => void): this {
    this.emit(op.if, BLOCK_EMPTY);
    then();
    if (otherwise) {
      this.emit(op.else);
      otherwise();
    }
    return this.emit(op.end);
  }

  /** The body as the binary format stores it: size, local declarations, code, end. */
  encode(): number[] {
    const runs: number[][] = []; // [count, type] per run of one type
    for (const type of this.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === type) last[0]++;
      else runs.push([1, type]);
    }
    const body = concat([vector(runs.map(([count, type]) => [...uleb(count), type])), this.bytes, [op.end]]);
    return concat([uleb(body.length), body]);
  }
}

/** A function of a module: its body and, when exported, its name. */
export interface Func {
  code: Code;
  exportAs?: string;
}

/** The bytes of `parts` one after another (a loop: spreading arrays of kilobytes is slow). */
function concat(parts: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (const part of parts) for (let i = 0; i < part.length; i++) out.push(part[i]);
  return out;
}

function section(id: number, contents: number[]): number[] {
  return concat([[id], uleb(contents.length), contents]);
}

function vector(items: number[][]): number[] {
  return concat([uleb(items.length), ...items]);
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

/**
 * The bytes of a module whose functions are `funcs` (function i is funcs[i]), each
 * with a type of its own, importing its memory as `env.memory` (at least one page).
 */
export function assemble(funcs: readonly Func[]): Uint8Array<ArrayBuffer> {
  const types = funcs.map(({ code }) => [0x60, ...uleb(code.params.length), ...code.params, ...uleb(code.results.length), ...code.results]);
  const memoryImport = [...name("env"), ...name("memory"), 0x02, 0x00, 0x01];
  const exports = funcs.flatMap((f, i) => (f.exportAs === undefined ? [] : [[...name(f.exportAs), 0x00, ...uleb(i)]]));
  return new Uint8Array(concat([
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    section(1, vector(types)),
    section(2, vector([memoryImport])),
    section(3, vector(funcs.map((_, i) => uleb(i)))),
    section(7, vector(exports)),
    section(10, vector(funcs.map((f) => f.code.encode()))),
  ]));
}
