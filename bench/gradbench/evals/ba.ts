// GradBench's ba eval (evals/ba/README.md; ADBench's bundle adjustment,
// cpp/gradbench/evals/ba.hpp): n cameras (11 parameters: Rodrigues rotation, centre,
// focal length, principal point, two radial distortion terms), m points, p
// observations (camera i mod n of point i mod m); each observation's reprojection
// error (2 numbers, scaled by its weight w) and each weight's error 1 − w². The
// Jacobian is sparse: per observation a 2×15 block (its camera, its point, its weight),
// all p of them from one call of gradc's batchJacobian (each observation's camera and
// point gathered next to each other first), and per weight a 1×1 block, from grad; it
// is assembled in the compressed-row layout of the C++ reference.
import { batchJacobian, grad } from "gradc";
import { evalFunction } from "../eval.js";
import { withOut } from "./common/out.js";

const CAM = 11;
/** Non-zeros per reprojection-error row: the camera, the point, the weight. */
const ROW = CAM + 3 + 1;

/**
 * err[e], err[e + 1] = w · (projection of point X[x..x+3] by camera cam[c..c+11] −
 * feat[f..f+2]): rotate X − C by Rodrigues' formula, divide by depth, distort
 * radially, scale by the focal length and shift by the principal point.
 */
function reprojError(err: Float64Array, e: number, cam: Float64Array, c: number, X: Float64Array, x: number, w: number, feat: Float64Array, f: number): void {
  const r0 = cam[c];
  const r1 = cam[c + 1];
  const r2 = cam[c + 2];
  const p0 = X[x] - cam[c + 3];
  const p1 = X[x + 1] - cam[c + 4];
  const p2 = X[x + 2] - cam[c + 5];
  const sqtheta = r0 * r0 + r1 * r1 + r2 * r2;
  let q0 = 0;
  let q1 = 0;
  let q2 = 0;
  if (sqtheta !== 0) {
    const theta = Math.sqrt(sqtheta);
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const w0 = r0 / theta;
    const w1 = r1 / theta;
    const w2 = r2 / theta;
    const tmp = (w0 * p0 + w1 * p1 + w2 * p2) * (1 - cos);
    q0 = p0 * cos + (w1 * p2 - w2 * p1) * sin + w0 * tmp;
    q1 = p1 * cos + (w2 * p0 - w0 * p2) * sin + w1 * tmp;
    q2 = p2 * cos + (w0 * p1 - w1 * p0) * sin + w2 * tmp;
  } else {
    q0 = p0 + (r1 * p2 - r2 * p1);
    q1 = p1 + (r2 * p0 - r0 * p2);
    q2 = p2 + (r0 * p1 - r1 * p0);
  }
  const u = q0 / q2;
  const v = q1 / q2;
  const rsq = u * u + v * v;
  const L = 1 + cam[c + 9] * rsq + cam[c + 10] * rsq * rsq;
  err[e] = w * (u * L * cam[c + 6] + cam[c + 7] - feat[f]);
  err[e + 1] = w * (v * L * cam[c + 6] + cam[c + 8] - feat[f + 1]);
}

/** One observation's reprojection error from its camera (11), point (3), weight (1) and feature (2). */
export function reprojBlock(cam: Float64Array, X: Float64Array, w: Float64Array, feat: Float64Array): Float64Array {
  const err = new Float64Array(2);
  reprojError(err, 0, cam, 0, X, 0, w[0], feat, 0);
  return err;
}

export function weightError(w: number): number {
  return 1 - w * w;
}

/** The objective: reprojection errors (2p) and weight errors (p). */
function objective(a: Args): Args {
  for (let i = 0; i < a.p; i++) {
    reprojError(a.reprojErr, 2 * i, a.cams, CAM * a.obs[2 * i], a.X, 3 * a.obs[2 * i + 1], a.w[i], a.feats, 2 * i);
  }
  for (let i = 0; i < a.p; i++) a.wErr[i] = weightError(a.w[i]);
  return a;
}

// Per observation d(err₀, err₁)/d(cam, X, w): 2×15, row-major, in the order of the
// sparse rows; block i of the result is observation i's.
const reprojJacobians = withOut<Float64Array>()(batchJacobian(reprojBlock, { wrt: ["cam", "X", "w"], mode: "reverse" }));
const weightGrad = grad(weightError);

/** The sparse Jacobian (3p × (11n + 3m + p)) in compressed rows. */
function sparseJacobian(a: Args): Args {
  const { n, m, p, rows, cols, vals } = a;
  // each observation's camera and point, side by side; then all blocks straight into vals
  for (let i = 0; i < p; i++) {
    const cam = CAM * a.obs[2 * i];
    const pt = 3 * a.obs[2 * i + 1];
    for (let j = 0; j < CAM; j++) a.obsCams[CAM * i + j] = a.cams[cam + j];
    for (let j = 0; j < 3; j++) a.obsX[3 * i + j] = a.X[pt + j];
  }
  reprojJacobians(a.obsCams, a.obsX, a.w, a.feats, p, a.blocks);
  let k = 0;
  rows[0] = 0;
  for (let i = 0; i < p; i++) {
    const cam = a.obs[2 * i];
    const pt = a.obs[2 * i + 1];
    for (let r = 0; r < 2; r++) {
      for (let j = 0; j < CAM; j++) cols[k++] = CAM * cam + j;
      for (let j = 0; j < 3; j++) cols[k++] = CAM * n + 3 * pt + j;
      cols[k++] = CAM * n + 3 * m + i;
      rows[2 * i + r + 1] = k;
    }
  }
  for (let i = 0; i < p; i++) {
    vals[k] = weightGrad(a.w[i]);
    cols[k++] = CAM * n + 3 * m + i;
    rows[2 * p + i + 1] = k;
  }
  return a;
}

interface Input {
  n: number;
  m: number;
  p: number;
  cam: number[];
  x: number[];
  w: number;
  feat: number[];
}

interface Args {
  n: number;
  m: number;
  p: number;
  cams: Float64Array;
  X: Float64Array;
  w: Float64Array;
  obs: Int32Array;
  feats: Float64Array;
  reprojErr: Float64Array;
  wErr: Float64Array;
  // the Jacobian: its arrays, each observation's camera and point, and the blocks' place in vals
  rows: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
  obsCams: Float64Array;
  obsX: Float64Array;
  blocks: Float64Array;
}

/** GradBench's generated problem: every camera, point, weight and feature the same; observation i sees point i mod m from camera i mod n. */
function prepare(input: Input): Args {
  const { n, m, p } = input;
  const cams = new Float64Array(CAM * n);
  for (let i = 0; i < n; i++) cams.set(input.cam, CAM * i);
  const X = new Float64Array(3 * m);
  for (let i = 0; i < m; i++) X.set(input.x, 3 * i);
  const feats = new Float64Array(2 * p);
  const obs = new Int32Array(2 * p);
  for (let i = 0; i < p; i++) {
    feats.set(input.feat, 2 * i);
    obs[2 * i] = i % n;
    obs[2 * i + 1] = i % m;
  }
  const vals = new Float64Array(2 * ROW * p + p);
  return {
    n, m, p, cams, X, w: new Float64Array(p).fill(input.w), obs, feats,
    reprojErr: new Float64Array(2 * p),
    wErr: new Float64Array(p),
    rows: new Int32Array(3 * p + 1),
    cols: new Int32Array(vals.length),
    vals,
    obsCams: new Float64Array(CAM * p),
    obsX: new Float64Array(3 * p),
    blocks: vals.subarray(0, 2 * ROW * p),
  };
}

/** As the reference reports them: the first observation's block and the last non-zero (all blocks are equal). */
function jacobianOutput(a: Args) {
  const first = (v: ArrayLike<number>) => [...Array.prototype.slice.call(v, 0, 2 * ROW), v[v.length - 1]];
  return { cols: first(a.cols), rows: first(a.rows), vals: first(a.vals) };
}

export const functions = {
  objective: evalFunction({
    prepare,
    run: objective,
    output: (a: Args) => ({
      reproj_error: { elements: [a.reprojErr[0], a.reprojErr[1]], repeated: a.p },
      w_err: { element: a.wErr[0], repeated: a.p },
    }),
  }),
  jacobian: evalFunction({ prepare, run: sparseJacobian, output: jacobianOutput }),
};
