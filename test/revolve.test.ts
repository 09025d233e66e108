import { describe, expect, test } from "vitest";
import {
  ADVANCE,
  RESTORE,
  TAKESHOT,
  YOUTURN,
  revolveForwardSteps,
  revolveSchedule,
  scheduleAdvances,
} from "../runtime/revolve.js";

interface SimResult {
  advances: number;
  shots: number;
  maxLive: number;
}

/**
 * Runs a schedule on the toy model "state = index of the next step to run" and throws on the
 * first invalid action. Besides validity it checks Revolve's slot discipline: live snapshots form
 * a stack (slot s holds the s-th live one, positions increasing), a snapshot dies once its step
 * is reversed, TAKESHOT pushes onto the stack and RESTORE reads its top.
 */
function simulate(schedule: Int32Array, T: number, k: number): SimResult {
  if (schedule.length % 3 !== 0) throw new Error("length is not a multiple of 3");
  const live: number[] = []; // positions of live snapshots, live[s] in slot s
  let current = 0; // -1: undefined (after a YOUTURN)
  let next = T - 1; // the next step to reverse
  let advances = 0;
  let shots = 0;
  let maxLive = 0;
  for (let i = 0; i < schedule.length; i += 3) {
    const [op, a, b] = [schedule[i], schedule[i + 1], schedule[i + 2]];
    const fail = (why: string): never => {
      throw new Error(`action ${i / 3} [${op}, ${a}, ${b}]: ${why}`);
    };
    switch (op) {
      case ADVANCE:
        if (a !== current) fail(`advance from ${a} but the current state is ${current}`);
        if (!(a < b && b <= next)) fail(`advance must move forward and stop at or before step ${next}`);
        advances += b - a;
        current = b;
        break;
      case TAKESHOT:
        if (a !== current) fail(`snapshot of ${a} but the current state is ${current}`);
        if (!(b >= 0 && b < k)) fail(`slot out of range 0..${k - 1}`);
        if (b !== live.length) fail(`slot ${b} is not the top of the stack (${live.length} live)`);
        if (live.length > 0 && live[live.length - 1] >= a) fail("snapshot positions must increase");
        live.push(a);
        shots++;
        maxLive = Math.max(maxLive, live.length);
        break;
      case RESTORE:
        if (b !== live.length - 1) fail(`restore must read the top slot ${live.length - 1}`);
        if (live[b] !== a) fail(`slot ${b} holds ${live[b]}`);
        current = a;
        break;
      case YOUTURN:
        if (b !== 0) fail("YOUTURN's second operand must be 0");
        if (a !== next) fail(`expected to reverse step ${next}`);
        if (current !== a) fail(`state before step ${a} is not current (${current})`);
        next--;
        current = -1;
        while (live.length > 0 && live[live.length - 1] > next) live.pop();
        break;
      default:
        fail("unknown action");
    }
  }
  if (next !== -1) throw new Error(`steps 0..${next} were not reversed`);
  return { advances, shots, maxLive };
}

/**
 * DP over the recursive (Revolve-shaped) strategies. F(n, c): fewest ADVANCE steps to reverse
 * steps x..x+n-1 when the state before x is held in a slot (restorable at will) and c slots are
 * usable in total, that one included. F(1, c) = 0 (restore, YOUTURN). For n >= 2 step x+n-1 can
 * only be reached by advancing from x, so the first thing done is an advance of some m in 1..n-1
 * steps; the state before x+m is then stored in a free slot (needs c >= 2) and the tail of n - m
 * steps is reversed with c - 1 slots, after which that slot is free again and the head of m
 * steps is reversed with c slots — unless the tail is a single step, which is reversed at once
 * without a slot (F(1, 0) = 0). Hence F(n, 0) = infinity for n >= 2 and
 *   F(n, c) = min over 1 <= m < n of  m + F(n - m, c - 1) + F(m, c).
 * The whole problem (state before 0 current, k slots) stores it first: cost F(T, k) (0 for T <= 1).
 */
function dpTable(N: number, K: number): number[][] {
  const F: number[][] = [];
  for (let c = 0; c <= K; c++) {
    const row = new Array<number>(N + 1).fill(Infinity);
    row[0] = 0;
    row[1] = 0;
    if (c > 0) {
      for (let n = 2; n <= N; n++) {
        let best = Infinity;
        for (let m = 1; m < n; m++) best = Math.min(best, m + F[c - 1][n - m] + row[m]);
        row[n] = best;
      }
    }
    F.push(row);
  }
  return F;
}

/**
 * Exhaustive 0-1 BFS over the unrestricted action model (any slot may be overwritten or read at
 * any time, single-step advances): the true minimum, used to validate the DP for small cases.
 */
function exhaustiveMinimum(T: number, k: number): number {
  const B = T + 1; // values -1..T-1 encoded as 0..T
  const slotsSize = B ** k;
  const encode = (next: number, cur: number, slots: number[]): number => {
    let s = 0;
    for (const v of slots) s = s * B + (v + 1);
    return ((next + 1) * B + (cur + 1)) * slotsSize + s;
  };
  const decode = (id: number): [number, number, number[]] => {
    let s = id % slotsSize;
    const rest = Math.floor(id / slotsSize);
    const slots = new Array<number>(k);
    for (let j = k - 1; j >= 0; j--) {
      slots[j] = (s % B) - 1;
      s = Math.floor(s / B);
    }
    return [Math.floor(rest / B) - 1, (rest % B) - 1, slots];
  };
  const dist = new Int32Array(B * B * slotsSize).fill(-1);
  let level = [encode(T - 1, 0, new Array<number>(k).fill(-1))];
  for (let d = 0; level.length > 0; d++) {
    const nextLevel: number[] = [];
    const stack: number[] = [];
    for (const id of level) {
      if (dist[id] < 0) {
        dist[id] = d;
        stack.push(id);
      }
    }
    while (stack.length > 0) {
      const id = stack.pop()!;
      const [next, cur, slots] = decode(id);
      if (next === -1) return d;
      const zero = (t: number): void => {
        if (dist[t] < 0) {
          dist[t] = d;
          stack.push(t);
        }
      };
      if (cur >= 0 && cur < next) nextLevel.push(encode(next, cur + 1, slots)); // advance one step
      if (cur === next) zero(encode(next - 1, -1, slots)); // YOUTURN
      for (let j = 0; j < k; j++) {
        if (cur >= 0 && slots[j] !== cur) {
          const s2 = slots.slice();
          s2[j] = cur;
          zero(encode(next, cur, s2)); // TAKESHOT
        }
        if (slots[j] >= 0 && slots[j] !== cur) zero(encode(next, slots[j], slots)); // RESTORE
      }
    }
    level = nextLevel;
  }
  throw new Error("unreachable");
}

describe("revolve", () => {
  test("degenerate sizes", () => {
    expect(Array.from(revolveSchedule(0, 1))).toEqual([]);
    expect(Array.from(revolveSchedule(1, 1))).toEqual([YOUTURN, 0, 0]);
    expect(Array.from(revolveSchedule(2, 1))).toEqual([
      TAKESHOT, 0, 0, ADVANCE, 0, 1, YOUTURN, 1, 0, RESTORE, 0, 0, YOUTURN, 0, 0,
    ]);
    expect(revolveForwardSteps(0, 3)).toBe(0);
    expect(revolveForwardSteps(1, 3)).toBe(0);
    expect(() => revolveSchedule(5, 0)).toThrow(RangeError);
    expect(() => revolveSchedule(-1, 2)).toThrow(RangeError);
    expect(() => revolveForwardSteps(2.5, 2)).toThrow(RangeError);
  });

  test("closed forms: k = 1 is quadratic, k >= T - 1 is one sweep", () => {
    for (const T of [2, 3, 10, 100, 1000, 100_000]) {
      expect(revolveForwardSteps(T, 1)).toBe((T * (T - 1)) / 2);
      expect(revolveForwardSteps(T, T - 1)).toBe(T - 1);
      expect(revolveForwardSteps(T, T)).toBe(T - 1);
      expect(revolveForwardSteps(T, 10 * T)).toBe(T - 1);
    }
    for (const T of [2, 7, 50, 1000]) {
      for (const k of [1, T - 1, T, T + 5]) {
        const s = revolveSchedule(T, k);
        const r = simulate(s, T, k);
        expect(r.advances).toBe(revolveForwardSteps(T, k));
        expect(scheduleAdvances(s)).toBe(r.advances);
      }
    }
  });

  test("the DP agrees with an exhaustive search of the unrestricted action model", () => {
    const F = dpTable(8, 4);
    for (let k = 1; k <= 4; k++) {
      const maxT = k <= 3 ? 8 : 6;
      for (let T = 1; T <= maxT; T++) {
        expect(exhaustiveMinimum(T, k), `T=${T} k=${k}`).toBe(T <= 1 ? 0 : F[k][T]);
      }
    }
  });

  test("optimal and valid for all T <= 60, k <= 8", () => {
    const F = dpTable(60, 8);
    for (let T = 0; T <= 60; T++) {
      for (let k = 1; k <= 8; k++) {
        const s = revolveSchedule(T, k);
        const r = simulate(s, T, k);
        const best = T <= 1 ? 0 : F[k][T];
        expect(scheduleAdvances(s), `T=${T} k=${k}`).toBe(best);
        expect(r.advances).toBe(best);
        expect(revolveForwardSteps(T, k), `T=${T} k=${k}`).toBe(best);
        expect(r.maxLive).toBeLessThanOrEqual(k);
      }
    }
  });

  test("spot checks for large T", () => {
    for (const T of [1000, 10_000, 100_000]) {
      for (const k of [2, 10, Math.ceil(Math.sqrt(T))]) {
        const s = revolveSchedule(T, k);
        const r = simulate(s, T, k);
        expect(r.advances, `T=${T} k=${k}`).toBe(revolveForwardSteps(T, k));
        expect(scheduleAdvances(s)).toBe(r.advances);
      }
    }
    expect(revolveForwardSteps(1000, 10)).toBe(3636);
    expect(revolveForwardSteps(1000, 32)).toBe(2405);
    expect(revolveForwardSteps(10_000, 10)).toBe(57_624);
    expect(revolveForwardSteps(10_000, 100)).toBe(24_747);
  });

  test("generation is fast (no quadratic work)", () => {
    const t0 = performance.now();
    revolveSchedule(100_000, 10);
    revolveSchedule(100_000, 2);
    revolveSchedule(100_000, 1);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  test("driving a real reverse sweep gives the stored-tape adjoint bit for bit", () => {
    // State (u, v); step i: u' = u + 0.1 sin(v + i), v' = v + 0.1 u cos(i). Reverse of x_T -> x_0.
    type S = [number, number];
    const step = (i: number, [u, v]: S): S => [u + 0.1 * Math.sin(v + i), v + 0.1 * u * Math.cos(i)];
    const adjoint = (i: number, [, v]: S, [ub, vb]: S): S => [
      ub + vb * 0.1 * Math.cos(i),
      ub * 0.1 * Math.cos(v + i) + vb,
    ];
    const T = 200;
    const x0: S = [0.3, -0.7];
    const tape: S[] = [x0];
    for (let i = 0; i < T; i++) tape.push(step(i, tape[i]));
    let ref: S = [1, 0];
    for (let i = T - 1; i >= 0; i--) ref = adjoint(i, tape[i], ref);

    for (const k of [1, 3, 5, 20]) {
      const s = revolveSchedule(T, k);
      const slots: S[] = [];
      let cur: S | undefined = x0;
      let bar: S = [1, 0];
      let runs = 0;
      for (let p = 0; p < s.length; p += 3) {
        const a = s[p + 1];
        const b = s[p + 2];
        if (s[p] === ADVANCE) {
          for (let i = a; i < b; i++) cur = step(i, cur!);
          runs += b - a;
        } else if (s[p] === TAKESHOT) slots[b] = cur!;
        else if (s[p] === RESTORE) cur = slots[b];
        else {
          bar = adjoint(a, cur!, bar);
          cur = undefined;
        }
      }
      expect(bar).toEqual(ref);
      expect(runs).toBe(revolveForwardSteps(T, k));
    }
  });
});
