// Checkpointing schedules for generated code (compiler/transforms/reverse/checkpoint.ts):
// the Revolve schedule of runtime/revolve.ts as numbers in a typed array, so derivative
// code can step through it with plain loads.
import { revolveSchedule } from "../revolve.js";
import type { Arr } from "./types.js";

const cache: { steps: number; snapshots: number; schedule: Int32Array<ArrayBufferLike> } = { steps: -1, snapshots: -1, schedule: new Int32Array(0) };

function scheduleOf(steps: number, snapshots: number): Int32Array<ArrayBufferLike> {
  if (cache.steps !== steps || cache.snapshots !== snapshots) {
    cache.schedule = revolveSchedule(steps, snapshots);
    cache.steps = steps;
    cache.snapshots = snapshots;
  }
  return cache.schedule;
}

/** Entries of the Revolve schedule for `steps` steps and `snapshots` slots (triples [action, a, b]). */
export function revolveLength(steps: number, snapshots: number): number {
  return scheduleOf(steps, Math.min(snapshots, Math.max(1, steps))).length;
}

/** Writes that schedule into `out` (revolveLength entries; float32 holds step numbers up to 2^24 exactly). */
export function revolveFill<T extends Arr>(out: T, steps: number, snapshots: number): T {
  if (out instanceof Float32Array && steps > 2 ** 24) throw new RangeError(`revolveFill: ${steps} steps do not fit a Float32Array schedule exactly`);
  out.set(scheduleOf(steps, Math.min(snapshots, Math.max(1, steps))));
  return out;
}
