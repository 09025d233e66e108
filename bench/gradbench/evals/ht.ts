// GradBench's ht eval (evals/ht/README.md; ADBench's hand tracking,
// cpp/gradbench/evals/ht.hpp): 26 pose parameters θ (global rotation, translation, 4
// per finger) pose a skinned hand model — per bone an Euler rotation on its base
// relative transform, chained to absolutes, vertices blended from the bones by the
// skinning weights, mirrored if asked, then the global rotation and translation. The
// error is, per correspondence, the observed point minus its vertex (simple) or minus
// the point at barycentric coordinates u of its triangle (complicated: us given). The
// Jacobian, dense, comes from gradc's jacobian in forward mode; in the complicated case
// its two us columns are the compressed ones of the reference (each error depends on
// its own u only), got by differentiating in two shifts added to every u₀ and every u₁.
import { jacobian } from "gradc";
import { evalFunction } from "../eval.js";
import { withOut } from "./common/out.js";

/** The hand model, row-major: per bone 4×4 transforms; per vertex (x, y, z, 1) and a weight per bone. */
export interface Model {
  parents: Int32Array;
  baseRelatives: Float64Array;
  inverseBaseAbsolutes: Float64Array;
  basePositions: Float64Array;
  weights: Float64Array;
  isMirrored: boolean;
}

export interface Data {
  model: Model;
  correspondences: Int32Array;
  /** 3 per correspondence. */
  points: Float64Array;
  /** 3 vertex indices per triangle. */
  triangles: Int32Array;
}

/** c = a·b for 4×4 row-major blocks a[ao..], b[bo..], c[co..]. */
function mul4(c: Float64Array, co: number, a: Float64Array, ao: number, b: Float64Array, bo: number): void {
  for (let r = 0; r < 4; r++) {
    for (let k = 0; k < 4; k++) {
      c[co + 4 * r + k] = a[ao + 4 * r] * b[bo + k] + a[ao + 4 * r + 1] * b[bo + 4 + k] + a[ao + 4 * r + 2] * b[bo + 8 + k] + a[ao + 4 * r + 3] * b[bo + 12 + k];
    }
  }
}

/**
 * The posed vertices, 3 per vertex: pose parameters from θ (column 0 the global
 * rotation, 1 the scale (ones), 2 the translation, 3 + b bone b's Euler angles x, z, y),
 * per bone relative = base relative · Rz·Ry·Rx, absolute = parent's absolute · relative,
 * transform = absolute · inverse base absolute; each vertex the weighted sum of its
 * transformed base position, mirrored in x if asked, rotated (angle-axis) and translated.
 */
function skinnedVertices(theta: Float64Array, model: Model): Float64Array {
  const nb = model.parents.length;
  const nv = model.basePositions.length / 4;
  const pose = new Float64Array(3 * (nb + 3));
  for (let i = 0; i < 3; i++) {
    pose[i] = theta[i];
    pose[3 + i] = 1;
    pose[6 + i] = theta[3 + i];
  }
  for (let f = 0; f < 5; f++) {
    const col = 5 + 4 * f;
    pose[3 * col] = theta[6 + 4 * f];
    pose[3 * col + 1] = theta[7 + 4 * f];
    pose[3 * (col + 1)] = theta[8 + 4 * f];
    pose[3 * (col + 2)] = theta[9 + 4 * f];
  }
  const absolutes = new Float64Array(16 * nb);
  const relative = new Float64Array(16);
  const transforms = new Float64Array(16 * nb);
  for (let b = 0; b < nb; b++) {
    const p = 3 * (b + 3);
    const cx = Math.cos(pose[p]);
    const sx = Math.sin(pose[p]);
    const cy = Math.cos(pose[p + 2]);
    const sy = Math.sin(pose[p + 2]);
    const cz = Math.cos(pose[p + 1]);
    const sz = Math.sin(pose[p + 1]);
    // R = Rz·Ry·Rx
    const R00 = cz * cy;
    const R01 = cz * sy * sx - sz * cx;
    const R02 = cz * sy * cx + sz * sx;
    const R10 = sz * cy;
    const R11 = sz * sy * sx + cz * cx;
    const R12 = sz * sy * cx - cz * sx;
    const R20 = -sy;
    const R21 = cy * sx;
    const R22 = cy * cx;
    const o = 16 * b;
    const base = model.baseRelatives;
    for (let r = 0; r < 4; r++) {
      const a0 = base[o + 4 * r];
      const a1 = base[o + 4 * r + 1];
      const a2 = base[o + 4 * r + 2];
      relative[4 * r] = a0 * R00 + a1 * R10 + a2 * R20;
      relative[4 * r + 1] = a0 * R01 + a1 * R11 + a2 * R21;
      relative[4 * r + 2] = a0 * R02 + a1 * R12 + a2 * R22;
      relative[4 * r + 3] = base[o + 4 * r + 3];
    }
    const parent = model.parents[b];
    if (parent === -1) {
      for (let k = 0; k < 16; k++) absolutes[o + k] = relative[k];
    } else {
      mul4(absolutes, o, absolutes, 16 * parent, relative, 0);
    }
    mul4(transforms, o, absolutes, o, model.inverseBaseAbsolutes, o);
  }
  // the global rotation (angle-axis, identity below 1e-4), its columns scaled
  const n2 = pose[0] * pose[0] + pose[1] * pose[1] + pose[2] * pose[2];
  const norm = Math.sqrt(n2);
  let G00 = 1;
  let G01 = 0;
  let G02 = 0;
  let G10 = 0;
  let G11 = 1;
  let G12 = 0;
  let G20 = 0;
  let G21 = 0;
  let G22 = 1;
  if (norm >= 0.0001) {
    const x = pose[0] / norm;
    const y = pose[1] / norm;
    const z = pose[2] / norm;
    const s = Math.sin(norm);
    const c = Math.cos(norm);
    G00 = x * x + (1 - x * x) * c;
    G01 = x * y * (1 - c) - z * s;
    G02 = x * z * (1 - c) + y * s;
    G10 = x * y * (1 - c) + z * s;
    G11 = y * y + (1 - y * y) * c;
    G12 = y * z * (1 - c) - x * s;
    G20 = x * z * (1 - c) - y * s;
    G21 = z * y * (1 - c) + x * s;
    G22 = z * z + (1 - z * z) * c;
  }
  G00 *= pose[3];
  G10 *= pose[3];
  G20 *= pose[3];
  G01 *= pose[4];
  G11 *= pose[4];
  G21 *= pose[4];
  G02 *= pose[5];
  G12 *= pose[5];
  G22 *= pose[5];
  const mirror = model.isMirrored ? -1 : 1;
  const positions = new Float64Array(3 * nv);
  const bp = model.basePositions;
  const weights = model.weights;
  for (let v = 0; v < nv; v++) {
    let q0 = 0;
    let q1 = 0;
    let q2 = 0;
    for (let b = 0; b < nb; b++) {
      const wt = weights[v * nb + b];
      const o = 16 * b;
      q0 += wt * (transforms[o] * bp[4 * v] + transforms[o + 1] * bp[4 * v + 1] + transforms[o + 2] * bp[4 * v + 2] + transforms[o + 3] * bp[4 * v + 3]);
      q1 += wt * (transforms[o + 4] * bp[4 * v] + transforms[o + 5] * bp[4 * v + 1] + transforms[o + 6] * bp[4 * v + 2] + transforms[o + 7] * bp[4 * v + 3]);
      q2 += wt * (transforms[o + 8] * bp[4 * v] + transforms[o + 9] * bp[4 * v + 1] + transforms[o + 10] * bp[4 * v + 2] + transforms[o + 11] * bp[4 * v + 3]);
    }
    q0 *= mirror;
    positions[3 * v] = G00 * q0 + G01 * q1 + G02 * q2 + pose[6];
    positions[3 * v + 1] = G10 * q0 + G11 * q1 + G12 * q2 + pose[7];
    positions[3 * v + 2] = G20 * q0 + G21 * q1 + G22 * q2 + pose[8];
  }
  return positions;
}

/** Simple errors: each observed point minus its corresponding vertex. */
export function simpleError(theta: Float64Array, data: Data): Float64Array {
  const positions = skinnedVertices(theta, data.model);
  const n = data.correspondences.length;
  const err = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const v = data.correspondences[i];
    for (let j = 0; j < 3; j++) err[3 * i + j] = data.points[3 * i + j] - positions[3 * v + j];
  }
  return err;
}

/** Complicated errors: each observed point minus the point at (u₀ + du0, u₁ + du1) of its triangle. */
function complicatedErrorAt(theta: Float64Array, us: Float64Array, du0: number, du1: number, data: Data): Float64Array {
  const positions = skinnedVertices(theta, data.model);
  const n = data.correspondences.length;
  const err = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const t = 3 * data.correspondences[i];
    const v0 = 3 * data.triangles[t];
    const v1 = 3 * data.triangles[t + 1];
    const v2 = 3 * data.triangles[t + 2];
    const u0 = us[2 * i] + du0;
    const u1 = us[2 * i + 1] + du1;
    for (let j = 0; j < 3; j++) {
      err[3 * i + j] = data.points[3 * i + j] - (u0 * positions[v0 + j] + u1 * positions[v1 + j] + (1 - u0 - u1) * positions[v2 + j]);
    }
  }
  return err;
}

export function complicatedError(theta: Float64Array, us: Float64Array, data: Data): Float64Array {
  return complicatedErrorAt(theta, us, 0, 0, data);
}

/** The complicated errors as a function of (du0, du1, θ): its Jacobian at (0, 0, θ) is the reference's 2 + 26 columns. */
export function complicatedErrorPacked(packed: Float64Array, us: Float64Array, data: Data): Float64Array {
  const theta = new Float64Array(packed.length - 2);
  for (let k = 0; k < theta.length; k++) theta[k] = packed[k + 2];
  return complicatedErrorAt(theta, us, packed[0], packed[1], data);
}

const simpleJacobian = withOut<Float64Array>()(jacobian(simpleError, { wrt: "theta", mode: "forward" }));
const complicatedJacobian = withOut<Float64Array>()(jacobian(complicatedErrorPacked, { wrt: "packed", mode: "forward" }));

interface Input {
  theta: number[];
  us: number[][];
  data: {
    model: {
      parents: number[];
      base_relatives: number[][][];
      inverse_base_absolutes: number[][][];
      base_positions: number[][];
      weights: number[][];
      triangles: number[][];
      is_mirrored: boolean;
    };
    correspondences: number[];
    points: number[][];
  };
}

interface Args {
  theta: Float64Array;
  /** 0, 0, θ: the complicated Jacobian's argument. */
  packed: Float64Array;
  us: Float64Array;
  data: Data;
  complicated: boolean;
  /** The Jacobian, rows × cols row-major. */
  jacobian: Float64Array;
  cols: number;
}

function prepare(input: Input): Args {
  const m = input.data.model;
  const flat = (rows: number[][] | number[][][]) => Float64Array.from(rows.flat(2));
  const data: Data = {
    model: {
      parents: Int32Array.from(m.parents),
      baseRelatives: flat(m.base_relatives),
      inverseBaseAbsolutes: flat(m.inverse_base_absolutes),
      basePositions: flat(m.base_positions),
      weights: flat(m.weights),
      isMirrored: m.is_mirrored,
    },
    correspondences: Int32Array.from(input.data.correspondences),
    points: flat(input.data.points),
    triangles: Int32Array.from(m.triangles.flat()),
  };
  const theta = Float64Array.from(input.theta);
  const complicated = input.us.length > 0;
  const packed = new Float64Array(2 + theta.length);
  packed.set(theta, 2);
  const cols = (complicated ? 2 : 0) + theta.length;
  return { theta, packed, us: flat(input.us), data, complicated, jacobian: new Float64Array(3 * data.correspondences.length * cols), cols };
}

function objective(a: Args): Float64Array {
  return a.complicated ? complicatedError(a.theta, a.us, a.data) : simpleError(a.theta, a.data);
}

function denseJacobian(a: Args): Args {
  if (a.complicated) complicatedJacobian(a.packed, a.us, a.data, a.jacobian);
  else simpleJacobian(a.theta, a.data, a.jacobian);
  return a;
}

function rows(a: Args): number[][] {
  return Array.from({ length: a.jacobian.length / a.cols }, (_, r) => Array.from(a.jacobian.subarray(r * a.cols, (r + 1) * a.cols)));
}

export const functions = {
  objective: evalFunction({ prepare, run: objective, output: (err: Float64Array) => Array.from(err) }),
  jacobian: evalFunction({ prepare, run: denseJacobian, output: rows }),
};
