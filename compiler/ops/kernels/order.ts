// The order of a sort as a kernel (runtime/kernels/order.ts). Not differentiable: it
// writes indices; lowering gathers the sorted values with them (compiler/lower/sort.ts).
import { kernel } from "./record.js";

kernel({ name: "sortOrder", sig: "x: arr, n, descending: bool = false", diff: [] });
