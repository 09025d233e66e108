// Checkpointing table (called last by bench/run.mjs; `node bench/checkpoint.mjs [--quick]`
// runs it alone): gradient time and memory of loops marked `// @checkpoint` under the
// schedules none (recorded), "sqrt", "binomial" (Revolve, k = ⌈√T⌉) and { snapshots: 10 }.
//
// Cases (bench/checkpoint-cases.mjs): a tanh RNN with hidden size 64 over T = 1,000 and
// 10,000 steps, written with plain loops and with the runtime's matvec/tanh kernels; a
// neural ODE dz/dt = tanh(Wz + b), z of size 16, 10,000 RK4 steps. Gradients are with
// respect to the weights ({W, U} or {W, b}), by valueAndGrad.
//
// Before anything is timed, every checkpointed gradient (and value) is compared with the
// recorded one: max |a - b| / max(1, |a|, |b|) must be below 1e-12. Columns:
//   grad        median time of one value-and-gradient (interleaved samples)
//   ×rec        that time over the recorded (un-checkpointed) gradient's
//   tape peak   Tape.peakBytes over one call (Tape.resetPeak() before): values and arrays
//               on the tapes, snapshots included (sqrt's snapshots; binomial's k + 1 state
//               slots and its Revolve schedule, a Float32Array, are held on the tape too)
//   ×rec mem    tape peak over the recorded gradient's tape peak
//   states      loop states stored at once: sqrt ⌈T / ⌈√T⌉⌉ snapshots; binomial the slots
//               the schedule uses + 1 (the state before the last step)
//   recomputed  loop steps run without recording (the recorded gradient runs each of the T
//               steps once, recorded): sqrt T; binomial the schedule's ADVANCE steps
//               (scheduleAdvances(revolveSchedule(T, k))), checked against Revolve's bound
//               revolveForwardSteps(T, k)
//   RSS +MB     growth of the peak RSS over one gradient, in a fresh child process per
//               schedule (bench/checkpoint-child.mjs): maxRSS only grows within a process
// Targets: sqrt stores <= 2√T loop states at <= 2.0x the recorded gradient's time;
// binomial recomputes exactly Revolve's bound.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CASES, SCHEDULES, checkpointOption, makeCase, snapshotBudget } from "./checkpoint-cases.mjs";
import { formatTime, measure } from "./timing.mjs";

const AGREE_TOL = 1e-12;
const SQRT_TIME = 2.0; // target: sqrt costs at most 2x the recorded gradient
const SQRT_STATES = 2; // target: sqrt stores at most 2√T states
const CHILD = fileURLToPath(new URL("./checkpoint-child.mjs", import.meta.url));

const firstLine = (e) => String(e?.message ?? e).split("\n")[0];

/** max |a - b| / max(1, |a|, |b|) over numbers and (lists of) arrays. */
function maxRelDiff(a, b) {
  if (typeof a === "number") return Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));
  if (Array.isArray(a)) return Math.max(0, ...a.map((x, i) => maxRelDiff(x, b[i])));
  let e = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i]), Math.abs(b[i])));
  return e;
}

const fmtBytes = (n) => (n === undefined ? "—" : n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);

/** Revolve facts for T steps and k slots, from dist/runtime/revolve.js. */
function revolveFacts(revolve, T, k) {
  const schedule = revolve.revolveSchedule(T, k);
  let maxSlot = -1;
  for (let i = 0; i < schedule.length; i += 3) if (schedule[i] === revolve.TAKESHOT) maxSlot = Math.max(maxSlot, schedule[i + 2]);
  return { entries: schedule.length, slotsUsed: maxSlot + 1, advances: revolve.scheduleAdvances(schedule), bound: revolve.revolveForwardSteps(T, k) };
}

/** Peak-RSS growth of one gradient of `name` under `schedule`, in a child process. */
function childRss(name, schedule) {
  const r = spawnSync(process.execPath, [CHILD, name, schedule], { encoding: "utf8", timeout: 120_000 });
  const line = (r.stdout ?? "").trim().split("\n").pop();
  try {
    return JSON.parse(line);
  } catch {
    return { error: `child exited with ${r.status ?? r.signal}: ${firstLine(r.stderr || line || "no output")}` };
  }
}

/**
 * @param api gradc (dist/index.js) or undefined
 * @param runtime dist/runtime/index.js (Tape, kernels) or undefined
 * @param {boolean} quick fewer samples
 * @returns {Promise<boolean>} true when a check failed (a gradient disagrees or does not compile)
 */
export async function checkpointBench(api, runtime, quick) {
  const started = performance.now();
  console.log("\nCheckpointing: loops marked // @checkpoint, value + gradient with respect to the weights, by schedule");
  if (!api || !runtime) {
    console.log("skipped: gradc is not built (dist/index.js, dist/runtime/index.js)");
    return false;
  }
  const { Tape } = runtime;
  if (typeof Tape?.resetPeak !== "function") console.log("note: Tape.resetPeak/peakBytes missing from dist/runtime: tape bytes not measured");
  let revolve;
  try {
    revolve = await import("../dist/runtime/revolve.js");
  } catch (e) {
    console.log(`note: cannot import dist/runtime/revolve.js (${firstLine(e)}): Revolve counts not shown`);
  }
  let failed = false;
  const rows = [];
  const targets = [];
  for (const name of CASES) {
    const c = makeCase(name, runtime);
    const T = c.T;
    const samples = T >= 10_000 ? (quick ? 1 : 3) : quick ? 3 : 7;
    // 1. Compile every schedule, compare with the recorded gradient; tape bytes of that call.
    const vgs = {};
    const errors = {};
    const diffs = {};
    const peak = {};
    const measuresBytes = typeof Tape?.resetPeak === "function";
    let ref;
    for (const s of SCHEDULES) {
      try {
        const vg = api.valueAndGrad(c.f, { wrt: c.wrt, functions: c.functions, checkpoint: checkpointOption(s) });
        // The first call compiles, then runs: its tape peak is the gradient's.
        const before = Tape?.bytes ?? 0;
        if (measuresBytes) Tape.resetPeak();
        const result = vg(...c.args);
        if (measuresBytes) {
          peak[s] = Tape.peakBytes - before;
          if (Tape.bytes !== before) console.log(`  ${s}: note: the tapes hold ${Tape.bytes - before} bytes more after the call than before`);
        }
        if (s === "none") ref = result;
        else if (!ref) throw new Error("no recorded gradient to compare with");
        else {
          diffs[s] = maxRelDiff(result, ref);
          if (!(diffs[s] < AGREE_TOL)) throw new Error(`disagrees with the recorded gradient: max rel. diff ${diffs[s].toExponential(1)}`);
        }
        vgs[s] = vg;
      } catch (e) {
        errors[s] = firstLine(e);
        failed = true;
      }
    }
    console.log(`${name} (${c.label}, T = ${T.toLocaleString("en-US")}): checkpointed vs recorded value and gradient, max rel. diff: ` +
      SCHEDULES.filter((s) => s !== "none").map((s) => `${s} ${s in diffs ? diffs[s].toExponential(1) : "—"}${s in errors ? " FAILED" : ""}`).join(", "));
    for (const [s, msg] of Object.entries(errors)) console.log(`  ${s}: ${msg}`);

    // 2. Time, interleaved.
    const variants = Object.fromEntries(Object.entries(vgs).map(([s, fn]) => [s, { fn, args: c.args }]));
    const times = Object.keys(variants).length ? measure(variants, { samples, sampleMs: 1, warmupMs: 0 }) : {};

    // 3. Peak RSS, one child process per schedule.
    const rss = {};
    for (const s of SCHEDULES) {
      const r = childRss(name, s);
      if (r.error) {
        if (!errors[s]) console.log(`  ${s}: RSS child: ${r.error}`);
      } else rss[s] = r.rssIncreaseKB * 1024;
    }

    // 4. Rows and targets.
    for (const s of SCHEDULES) {
      const k = snapshotBudget(s, T);
      const rf = k !== undefined && revolve ? revolveFacts(revolve, T, k) : undefined;
      const states = s === "none" ? undefined : s === "sqrt" ? Math.ceil(T / Math.ceil(Math.sqrt(T))) : rf ? rf.slotsUsed + 1 : undefined;
      const recomputed = s === "none" ? 0 : s === "sqrt" ? T : rf?.advances;
      rows.push({
        name, s, T, error: errors[s], time: times[s], ratio: times[s] / times.none,
        peak: peak[s],
        mem: peak[s] !== undefined && peak.none ? peak[s] / peak.none : undefined,
        states, k, recomputed, rss: rss[s], diff: diffs[s],
      });
      if (s === "sqrt") {
        const statesOk = states <= SQRT_STATES * Math.sqrt(T);
        const ratio = times.sqrt / times.none;
        const timeOk = ratio <= SQRT_TIME;
        targets.push(`  ${name.padEnd(16)} sqrt: ${states} states <= ${SQRT_STATES}√T = ${(SQRT_STATES * Math.sqrt(T)).toFixed(1)} ${statesOk ? "ok" : "MISS"}; ` +
          `time ${Number.isFinite(ratio) ? ratio.toFixed(2) : "—"}x <= ${SQRT_TIME.toFixed(1)}x ${timeOk ? "ok" : "MISS"}`);
      } else if (rf) {
        const exact = rf.advances === rf.bound;
        targets.push(`  ${name.padEnd(16)} ${s}: k = ${k}, scheduleAdvances ${rf.advances} ${exact ? "=" : "!="} revolveForwardSteps ${rf.bound} ${exact ? "ok" : "MISS"}` +
          (errors[s] ? " (the gradient itself failed, see above)" : ""));
      }
    }
  }

  console.log();
  const head = ["case", "schedule", "grad", "×rec", "tape peak", "×rec mem", "states", "recomputed", "RSS +MB"];
  const body = rows.map((r) => r.error
    ? [r.name, r.s, `failed: ${r.error.slice(0, 60)}`, "", "", "", "", "", "", ""]
    : [
      r.name, r.s + (r.k !== undefined ? ` (k=${r.k})` : ""), formatTime(r.time),
      Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}x` : "—",
      fmtBytes(r.peak),
      r.mem === undefined ? "—" : r.mem >= 0.1 ? r.mem.toFixed(2) : r.mem.toFixed(3),
      r.states === undefined ? "—" : String(r.states),
      r.recomputed === undefined ? "—" : r.recomputed.toLocaleString("en-US"),
      r.rss === undefined ? "—" : (r.rss / 1048576).toFixed(1),
    ]);
  const width = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
  const line = (b) => b.map((x, j) => (j < 2 ? x.padEnd(width[j]) : x.padStart(width[j]))).join("  ");
  console.log(line(head));
  console.log(width.map((w) => "-".repeat(w)).join("  "));
  let last = "";
  for (const [i, b] of body.entries()) {
    if (rows[i].name !== last && last) console.log();
    last = rows[i].name;
    console.log(line(b));
  }
  console.log(`\n  grad: median of ${quick ? "1 (T = 10,000) or 3" : "3 (T = 10,000) or 7"} interleaved samples; ×rec: over the recorded gradient (schedule none).`);
  console.log("  tape peak: Tape.peakBytes over one call (snapshots, binomial's slots and schedule included);");
  console.log("  ×rec mem: tape peak / recorded tape peak. RSS +MB: peak-RSS growth over one call in a fresh process; it");
  console.log("  also counts garbage from the steps' allocations and the tape's doubling, so it follows the tape only roughly.");
  console.log("  recomputed: loop steps run without recording, besides the T recorded ones (binomial: the schedule's ADVANCE steps;");
  console.log("  gradc's binomial loop also runs the last step once unrecorded, in the forward sweep, to produce the loop's result).");
  console.log(`\ntargets: sqrt stores <= ${SQRT_STATES}√T loop states at <= ${SQRT_TIME.toFixed(1)}x the recorded gradient's time; binomial recomputes exactly Revolve's bound`);
  for (const t of targets) console.log(t);
  console.log(`(checkpointing section: ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  return failed;
}

// `node bench/checkpoint.mjs [--quick]`: this section alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const api = await import("../dist/index.js");
  const runtime = await import("../dist/runtime/index.js");
  if (await checkpointBench(api, runtime, process.argv.includes("--quick"))) process.exitCode = 1;
}
