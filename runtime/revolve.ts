// Binomial checkpointing (Griewank & Walther, "Revolve"): the schedule that reverses a loop of
// T steps while holding at most k states in memory, with the fewest forward recomputations.
// Dependency-free; the schedule is produced with the closed forms below in O(T log T) time.
//
// Notation. beta(c, r) = C(c + r, c) is the largest number of steps that c slots can reverse when
// no step is run (unrecorded) more than r times. For n steps and c slots, the repetition number
// r(n, c) is the smallest r with beta(c, r) >= n, and the minimal number of unrecorded forward
// steps is
//
//     t(n, c) = r * n - beta(c + 1, r - 1)        (t = 0 for n <= 1)
//
// (Griewank 1992). t is continuous and piecewise linear in n with slope r on
// (beta(c, r - 1), beta(c, r)]. Examples: t(n, 1) = n(n - 1)/2; t(n, c) = n - 1 when c >= n - 1.
//
// Split rule. To reverse steps x..x+n-1 when the state before x sits in a slot and c slots are
// available in total (that one included), advance m steps, store the state before x+m in a fresh
// slot, reverse the tail of n - m steps with c - 1 slots, then the head of m steps with c slots.
// Cost m + t(m, c) + t(n - m, c - 1). With r = r(n, c) it equals t(n, c) whenever
//
//     beta(c, r - 2) <= m <= beta(c, r - 1)   and   beta(c - 1, r - 1) <= n - m <= beta(c - 1, r)
//
// (head within repetition r - 1, tail within r: the sum is r*n - beta(c+1, r-2) - beta(c, r-1)
// = r*n - beta(c+1, r-1) by Pascal's rule). The interval is never empty because
// beta(c, r-2) + beta(c-1, r-1) = beta(c, r-1) < n <= beta(c, r) = beta(c, r-1) + beta(c-1, r).
// We take its smallest m (the tail gets as many steps as c - 1 slots can reverse at repetition r),
// which in practice stores slightly fewer snapshots than the largest. A tail of one step needs no
// snapshot: it is run recorded and reversed at once.

/** Action codes in a schedule. */
export const ADVANCE = 0,
  TAKESHOT = 1,
  RESTORE = 2,
  YOUTURN = 3;

/** Largest supported step count: keeps every intermediate product below 2^53. */
const MAX_STEPS = 2 ** 26;

function checkArgs(steps: number, snapshots: number): void {
  if (!Number.isInteger(steps) || steps < 0 || steps > MAX_STEPS) {
    throw new RangeError(`revolve: steps must be an integer in 0..${MAX_STEPS}, got ${steps}`);
  }
  if (!Number.isInteger(snapshots) || snapshots < 1) {
    throw new RangeError(`revolve: snapshots must be an integer >= 1, got ${snapshots}`);
  }
}

/**
 * beta(c, r) = C(c + r, c), or `cap + 1` as soon as it exceeds `cap`. 0 for r < 0.
 * Requires c <= cap; then every product stays below 2 * cap^2 + cap, exact in doubles.
 */
function beta(c: number, r: number, cap: number): number {
  if (r < 0) return 0;
  const m = Math.min(c, r);
  const base = c + r - m;
  let v = 1;
  for (let i = 1; i <= m; i++) {
    v = (v * (base + i)) / i; // v = C(base + i, i), an integer
    if (v > cap) return cap + 1;
  }
  return v;
}

/** r(n, c): the smallest r >= 0 with beta(c, r) >= n (n >= 1, 1 <= c <= n). Galloping + bisection. */
function repetitions(n: number, c: number): number {
  if (n <= 1) return 0;
  let hi = 1;
  while (beta(c, hi, n) < n) hi *= 2;
  let lo = hi >> 1; // beta(c, lo) < n (lo = 0: beta = 1 < n)
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (beta(c, mid, n) >= n) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Griewank's minimal number of forward steps (ADVANCE steps, not counting YOUTURN steps) to
 * reverse `steps` steps with `snapshots` slots: 0 for T <= 1, otherwise with r the smallest
 * integer with C(k + r, k) >= T,
 *
 *     r * T - C(k + r, k + 1)        (= r*T - beta(k + 1, r - 1))
 *
 * e.g. T(T - 1)/2 for k = 1 and T - 1 (one sweep) for k >= T - 1.
 */
export function revolveForwardSteps(steps: number, snapshots: number): number {
  checkArgs(steps, snapshots);
  if (steps <= 1) return 0;
  const c = Math.min(snapshots, steps); // slots beyond T - 1 never help
  const r = repetitions(steps, c);
  return r * steps - beta(c + 1, r - 1, Infinity);
}

/** The first step of the optimal split of n >= 2 steps with c >= 1 slots (see the header). */
function split(n: number, c: number): number {
  if (c === 1) return n - 1;
  if (c > n) c = n;
  const r = repetitions(n, c);
  // max(beta(c, r - 2), n - beta(c - 1, r)); beta(c - 1, r) is capped at n (then the bound is <= 0).
  const m = Math.max(beta(c, r - 2, n), n - beta(c - 1, r, n));
  return m < 1 ? 1 : m;
}

/**
 * The schedule for reversing steps 0..T-1 with `snapshots` slots (k >= 1), as a flat Int32Array of
 * triples [action, a, b]:
 *  ADVANCE a b   : run steps a..b-1 without recording (state goes from "before step a" to "before step b")
 *  TAKESHOT a s  : store the current state (which is the state before step a) into slot s (0 <= s < k)
 *  RESTORE a s   : load the state before step a from slot s
 *  YOUTURN a 0   : run step a recording it, then reverse it (the adjoint step); the state before step a must be current
 * Initially the state before step 0 is current and no slot is used. Steps are reversed in the order T-1, T-2, ..., 0
 * (exactly one YOUTURN per step, descending). Slots are used as in Revolve (snapshot positions form a stack in order of use):
 * slot s holds the s-th live snapshot, and a snapshot is dropped once its step has been reversed.
 * After a YOUTURN the current state is undefined (the next action is a RESTORE).
 * The number of ADVANCE steps equals revolveForwardSteps(steps, snapshots).
 */
export function revolveSchedule(steps: number, snapshots: number): Int32Array {
  checkArgs(steps, snapshots);
  const T = steps;
  if (T === 0) return new Int32Array(0);
  if (T === 1) return Int32Array.of(YOUTURN, 0, 0);
  const k = Math.min(snapshots, T);

  // Action count bound: TAKESHOTs store distinct positions in 0..T-2 (a tail always has >= 2 steps),
  // so at most T - 1; T YOUTURNs; a RESTORE only right after a YOUTURN other than the last, so
  // at most T - 1; each ADVANCE is followed by a TAKESHOT other than the first or by a YOUTURN
  // other than the last, so at most 2T - 3. Total < 5T.
  const out = new Int32Array(15 * T);
  let len = 0;
  const emit = (action: number, a: number, b: number): void => {
    out[len++] = action;
    out[len++] = a;
    out[len++] = b;
  };

  const stack = new Int32Array(k); // stack[s] = step whose preceding state is in slot s
  let depth = 0;
  let current = 0; // step whose preceding state is current; -1 after a YOUTURN
  let end = T; // steps end..T-1 are reversed

  emit(TAKESHOT, 0, 0);
  stack[depth++] = 0;
  while (depth > 0) {
    const x = stack[depth - 1];
    const slot = depth - 1;
    const n = end - x;
    if (current !== x) {
      emit(RESTORE, x, slot);
      current = x;
    }
    if (n === 1) {
      emit(YOUTURN, x, 0);
      current = -1;
      end = x;
      depth--; // the snapshot at x is no longer needed
      continue;
    }
    // c counts the free slots plus the one holding x.
    const m = split(n, k - depth + 1);
    emit(ADVANCE, x, x + m);
    current = x + m;
    if (n - m === 1) {
      emit(YOUTURN, x + m, 0);
      current = -1;
      end = x + m;
    } else {
      emit(TAKESHOT, x + m, depth);
      stack[depth++] = x + m;
    }
  }
  return out.slice(0, len);
}

/** The number of ADVANCE steps a schedule performs (sum of b - a). */
export function scheduleAdvances(schedule: Int32Array): number {
  let total = 0;
  for (let i = 0; i + 2 < schedule.length; i += 3) {
    if (schedule[i] === ADVANCE) total += schedule[i + 2] - schedule[i + 1];
  }
  return total;
}
