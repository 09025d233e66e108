// The Revolve schedule as kernels (runtime/kernels/schedule.ts), for checkpointed
// loops in derivative code. Not differentiable: their operands are trip counts.
import { kernel } from "./record.js";

kernel({ name: "revolveLength", sig: "steps, snapshots", out: false, returnsNumber: true, diff: [] });
kernel({ name: "revolveFill", sig: "steps, snapshots", diff: [] });
