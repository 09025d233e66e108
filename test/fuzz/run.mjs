#!/usr/bin/env node
// Long fuzz runs from the command line (no build step: the TypeScript sources are
// loaded through Vite's module runner, as vitest does).
//
//   node test/fuzz/run.mjs [--from N] [--count N] [--seeds 1,2,3] [--list-wrt]
//                          [--points N] [--show SEED] [--quiet]
//
// --from/--count  seeds from..from+count-1 (default 1000, 500)
// --seeds         an explicit list instead
// --list-wrt      also compile wrt = [x, w, p] and compare with single-wrt gradients
// --file PATH     check (or with --reduce, reduce) the program saved in PATH instead
//                 of generating one, at the points of --seed (default 0)
// --show SEED     print the program for SEED and exit
// --reduce SEED   reduce the first failure of SEED (--failure K for the K-th) and print it
// --modes LIST    the other modes checked against valueAndGrad (default grad,jvp,hvp,hessian;
//                 "none" for valueAndGrad alone): grad must equal its gradient, jvp its
//                 gradient · tangent, hvp central differences of it, hessian · v the hvp
// --ts           also check the build-time path (TypeScript front-end) against the run-time one
// --progress     print the seed being checked to stderr
// --f32          x is a Float32Array and some local arrays are Float32Array
// --size N       statements in each loss body (default: random 6..18)
// --avoid a,b     leave out constructs with known bugs (see GenOptions.avoid in generate.ts)
// --weights a=N,b=M  weights of constructs (WEIGHTS in generate.ts; 0 leaves one out, 3 triples it)
// --checkpoint   check checkpointing instead (test/fuzz/checkpoint.ts): each `for (` loop
//                marked `// @checkpoint` alone, then all accepted ones together, under
//                every schedule, against the un-checkpointed value and gradient; with
//                --reduce, reduces that failure (its marked program, wrt, schedule, point)
// --seed N        with --count and no --file: the first seed (as --from)
// Exit status 1 if any program fails; each failure is printed with its seed and source.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runnerImport } from "vite";

// The IR is verified after every pass, not only the last (compiler/ir/verify.ts).
process.env.GRADC_VERIFY ??= "1";
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const flag = (name) => argv.includes(`--${name}`);
const modes = opt("modes", "grad,jvp,hvp,hessian").split(",").filter((m) => m && m !== "none");

const genOpts = {
  avoid: opt("avoid", "").split(",").filter(Boolean),
  size: opt("size") ? Number(opt("size")) : undefined,
  f32: flag("f32"),
  weights: Object.fromEntries(opt("weights", "").split(",").filter(Boolean).map((kv) => [kv.split("=")[0], Number(kv.split("=")[1])])),
};
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { module: check } = await runnerImport(here("./check.ts"));
const { module: gen } = await runnerImport(here("./generate.ts"));

if (opt("show")) {
  console.log(gen.generateProgram(Number(opt("show")), genOpts).text);
  process.exit(0);
}

const { module: red } = await runnerImport(here("./reduce.ts"));
/** The program of a seed, or with --file the program text saved in a file (checked at --seed's points). */
const programOf = (seed) => {
  if (!opt("file")) return gen.generateProgram(seed, genOpts);
  const prog = red.parseText(readFileSync(opt("file"), "utf8"), seed);
  if (!prog) throw new Error(`${opt("file")}: expected helper declarations and then const loss = ...;`);
  return prog;
};

const cpMod = flag("checkpoint") ? (await runnerImport(here("./checkpoint.ts"))).module : undefined;

if (flag("reduce") && cpMod) {
  const r = opt("reduce");
  const seed = Number(r !== undefined && !r.startsWith("--") ? r : opt("seed", 0));
  const res = cpMod.checkCheckpoint(programOf(seed));
  const failure = res.failures[Number(opt("failure", 0))];
  if (!failure) {
    console.log(`seed ${seed} passes (checkpointing)`);
    process.exit(0);
  }
  if (!failure.marked) {
    console.log(cpMod.formatCheckpointFailures(res));
    process.exit(0);
  }
  const sig = red.signature(failure);
  const wi = ["x", "w", "p"].indexOf(failure.wrt);
  const schedule = cpMod.parseSchedule(failure.schedule);
  console.log(`reducing seed ${seed} (${failure.variant}, wrt ${failure.wrt}, schedule ${failure.schedule}) for ${sig}`);
  const checkFn = (p) => cpMod.checkMarked(p, wi, schedule, failure.args);
  const small = red.reduce(failure.marked, sig, { at: failure.args }, (m) => process.stderr.write(`\r${m}   `), checkFn);
  process.stderr.write("\n");
  const again = checkFn(small);
  console.log(`seed ${seed}, wrt ${failure.wrt}, checkpoint: ${failure.schedule}`);
  for (const fl of again) console.log(`  [${fl.kind}] ${fl.message}`);
  console.log(`  args: ${check.showArgs(failure.args)}`);
  console.log("  program:", "\n" + small.text.split("\n").map((l) => `    ${l}`).join("\n"));
  process.exit(0);
}

if (flag("reduce")) {
  const r = opt("reduce");
  const seed = Number(r !== undefined && !r.startsWith("--") ? r : opt("seed", 0));
  const res = check.checkProgram(programOf(seed), { modes });
  if (!res.failures.length) {
    console.log(`seed ${seed} passes`);
    process.exit(0);
  }
  const which = Number(opt("failure", 0));
  const failure = res.failures[which];
  const sig = red.signature(failure);
  const wi = ["x", "w", "p"].indexOf(failure.wrt.split(" ")[0]);
  console.log(`reducing seed ${seed} for ${sig}`);
  const ropts = { wrts: wi >= 0 ? [wi] : undefined, at: failure.args, modes };
  const small = red.reduce(res.prog, sig, ropts, (m) => process.stderr.write(`\r${m}   `));
  process.stderr.write("\n");
  const again = check.checkProgram(small, ropts);
  console.log(check.formatFailures(again));
  process.exit(0);
}

const quiet = flag("quiet");
const seeds = opt("file")
  ? [Number(opt("seed", 0))]
  : opt("seeds")
  ? opt("seeds").split(",").map(Number)
  : Array.from({ length: Number(opt("count", 500)) }, (_, k) => Number(opt("from", opt("seed", 1000))) + k);

if (cpMod) {
  const t = { programs: 0, loops: 0, variants: 0, checked: 0, refused: 0, failed: 0, failures: 0 };
  const byKind = new Map();
  const failed = [];
  const t1 = Date.now();
  for (const seed of seeds) {
    if (flag("progress")) process.stderr.write(`\rseed ${seed}   `);
    const res = cpMod.checkCheckpoint(programOf(seed));
    t.programs++;
    t.loops += res.loops;
    t.variants += res.variants;
    t.checked += res.checked;
    t.refused += res.refused;
    t.failures += res.failures.length;
    if (res.failures.length) {
      t.failed++;
      failed.push(seed);
      for (const k of new Set(res.failures.map((f) => `${f.kind}${f.schedule ? ` (${f.schedule})` : ""}`))) byKind.set(k, (byKind.get(k) ?? 0) + 1);
      if (!quiet) console.log(cpMod.formatCheckpointFailures(res) + "\n");
    }
  }
  console.log(
    `checkpointing: ${t.programs} programs in ${((Date.now() - t1) / 1000).toFixed(1)}s, ${t.loops} for loops, ` +
      `${t.variants} marked variants, ${t.checked} (variant, wrt, schedule) gradients compared, ` +
      `${t.refused} (variant, wrt) refusals skipped; ${t.failed} programs failed (${t.failures} failures)`,
  );
  if (failed.length) {
    console.log(`programs by failure kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(", ")}`);
    console.log(`failed seeds: ${failed.join(",")}`);
  }
  process.exit(failed.length ? 1 : 0);
}

const buildCheck = flag("ts") ? (await runnerImport(here("./build-check.ts"))).module : undefined;
const totals = { programs: 0, checked: 0, skipped: 0, untested: 0, failed: 0 };
const byKind = new Map();
const failedSeeds = [];
const t0 = Date.now();
for (const seed of seeds) {
  if (flag("progress")) process.stderr.write(`\rseed ${seed}   `);
  const res = check.checkProgram(programOf(seed), {
    points: Number(opt("points", 2)),
    listWrt: flag("list-wrt"),
    modes,
  });
  if (buildCheck && res.failures.length === 0) buildCheck.checkBuild(res.prog, res);
  totals.programs++;
  totals.checked += res.checked;
  totals.skipped += res.skipped;
  totals.untested += res.untested;
  if (res.failures.length) {
    totals.failed++;
    failedSeeds.push(seed);
    for (const k of new Set(res.failures.map((f) => f.kind))) byKind.set(k, (byKind.get(k) ?? 0) + 1);
    if (!quiet) console.log(check.formatFailures(res) + "\n");
  }
}
const secs = ((Date.now() - t0) / 1000).toFixed(1);
console.log(
  `${totals.programs} programs in ${secs}s: ${totals.checked} (wrt, point) gradients checked, ` +
    `${totals.skipped} points skipped as numerically unstable ` +
    `(${((100 * totals.skipped) / Math.max(1, totals.checked + totals.skipped)).toFixed(1)}%), ` +
    `${totals.untested} wrt choices without a stable point; ${totals.failed} programs failed`,
);
if (failedSeeds.length) {
  console.log(`by kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(", ")}`);
  console.log(`failed seeds: ${failedSeeds.join(",")}`);
}
process.exit(failedSeeds.length ? 1 : 0);
