// The linear algebra of LoRA training over raw f32 arrays (row-major, token-major):
// forward products, their transposes for the backward pass, and the LoRA branch
// y += s B (A x) with its gradients. Plain loops over addresses (wasm2c makes simple C loops).
import { dot, axpy } from "../lanes";

/**
 * out[t][o] = sum_j w[o][j] x[t][j] for t < T (w is [outDim][inDim]): one matrix-matrix
 * product, weight row outer so a row is reused by every token while it is in cache, each sum
 * dot()'s 4 lanes (one NEON multiply and add per step in the kernel's C, as model.ts's matmul).
 */
export function linear(out: usize, x: usize, w: usize, T: i32, inDim: i32, outDim: i32): void {
  const IN = <usize>inDim << 2, OUT = <usize>outDim << 2;
  for (let o = 0; o < outDim; o++) {
    const row = w + <usize>o * IN, oo = <usize>o << 2;
    for (let t = 0; t < T; t++) store<f32>(out + <usize>t * OUT + oo, dot(row, x + <usize>t * IN, inDim));
  }
}

/** out[t][o] += sum_j w[o][j] x[t][j]: linear() adding into out. */
export function linearAdd(out: usize, x: usize, w: usize, T: i32, inDim: i32, outDim: i32): void {
  const IN = <usize>inDim << 2, OUT = <usize>outDim << 2;
  for (let o = 0; o < outDim; o++) {
    const row = w + <usize>o * IN, oo = <usize>o << 2;
    for (let t = 0; t < T; t++) {
      const p = out + <usize>t * OUT + oo;
      store<f32>(p, load<f32>(p) + dot(row, x + <usize>t * IN, inDim));
    }
  }
}

/**
 * dx[t][j] += sum_o w[o][j] dy[t][o]: the gradient through a frozen linear map, given wT, the
 * transpose of w ([inDim][outDim], made once per training run): the same product as linear().
 */
export function linearBackInput(dx: usize, dy: usize, wT: usize, T: i32, inDim: i32, outDim: i32): void {
  linearAdd(dx, dy, wT, T, outDim, inDim);
}

/** wT[j][o] = w[o][j] (w is [rows][cols]). */
export function transpose(wT: usize, w: usize, rows: i32, cols: i32): void {
  const C = <usize>cols << 2, R = <usize>rows << 2;
  for (let o = 0; o < rows; o++) {
    const row = w + <usize>o * C, oo = <usize>o << 2;
    for (let j = 0; j < cols; j++) store<f32>(wT + <usize>j * R + oo, load<f32>(row + (<usize>j << 2)));
  }
}

/** LoRA branch: u[t] = A x[t] (rank values, kept for the backward), y[t] += s B u[t]. */
export function loraForward(y: usize, u: usize, x: usize, a: usize, b: usize, s: f32, T: i32, inDim: i32, outDim: i32, r: i32): void {
  linear(u, x, a, T, inDim, r);
  const R = <usize>r << 2, OUT = <usize>outDim << 2;
  for (let o = 0; o < outDim; o++) {
    const br = b + <usize>o * R, oo = <usize>o << 2;
    for (let t = 0; t < T; t++) {
      const p = y + <usize>t * OUT + oo;
      store<f32>(p, load<f32>(p) + s * dot(br, u + <usize>t * R, r));
    }
  }
}

/**
 * Gradients of the LoRA branch given dy: gB[o][k] += s sum_t dy[t][o] u[t][k];
 * du[t][k] = s sum_o B[o][k] dy[t][o]; gA[k][j] += sum_t du[t][k] x[t][j];
 * dx[t][j] += sum_k A[k][j] du[t][k] (skipped when dx is 0). du is scratch [T][r].
 */
export function loraBackward(dx: usize, du: usize, dy: usize, x: usize, u: usize, a: usize, b: usize, ga: usize, gb: usize,
  s: f32, T: i32, inDim: i32, outDim: i32, r: i32): void {
  const R = <usize>r << 2, OUT = <usize>outDim << 2, IN = <usize>inDim << 2;
  memory.fill(du, 0, <usize>T * R);
  for (let t = 0; t < T; t++) {
    const dyr = dy + <usize>t * OUT, ur = u + <usize>t * R, dur = du + <usize>t * R;
    for (let o = 0; o < outDim; o++) {
      const g = s * load<f32>(dyr + (<usize>o << 2));
      if (g == 0) continue;
      axpy(gb + <usize>o * R, ur, g, r);
      axpy(dur, b + <usize>o * R, g, r);
    }
    const xr = x + <usize>t * IN;
    for (let k = 0; k < r; k++) {
      const g = load<f32>(dur + (<usize>k << 2));
      if (g == 0) continue;
      axpy(ga + <usize>k * IN, xr, g, inDim);
      if (dx != 0) axpy(dx + <usize>t * IN, a + <usize>k * IN, g, inDim);
    }
  }
}

/** y = g x / sqrt(mean(x^2) + 1e-5) per row; rInv[t] keeps 1/rms for the backward. */
export function rmsnormRows(y: usize, rInv: usize, x: usize, g: usize, T: i32, n: i32): void {
  const N = <usize>n << 2;
  for (let t = 0; t < T; t++) {
    const xr = x + <usize>t * N, yr = y + <usize>t * N;
    let ss: f32 = 0;
    for (let i = 0; i < n; i++) { const v = load<f32>(xr + (<usize>i << 2)); ss += v * v; }
    const inv: f32 = 1.0 / Mathf.sqrt(ss / <f32>n + <f32>1e-5);
    store<f32>(rInv + (<usize>t << 2), inv);
    for (let i = 0; i < n; i++) { const o = <usize>i << 2; store<f32>(yr + o, load<f32>(g + o) * (inv * load<f32>(xr + o))); }
  }
}

/** dx[t] += r g dy - r^3 x (sum_j dy_j g_j x_j) / n: the gradient through rmsnorm. */
export function rmsnormBack(dx: usize, dy: usize, x: usize, g: usize, rInv: usize, T: i32, n: i32): void {
  const N = <usize>n << 2;
  for (let t = 0; t < T; t++) {
    const xr = x + <usize>t * N, dyr = dy + <usize>t * N, dxr = dx + <usize>t * N;
    const r = load<f32>(rInv + (<usize>t << 2));
    let s: f32 = 0;
    for (let i = 0; i < n; i++) { const o = <usize>i << 2; s += load<f32>(dyr + o) * load<f32>(g + o) * load<f32>(xr + o); }
    const c = r * r * r * s / <f32>n;
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(dxr + o, load<f32>(dxr + o) + r * load<f32>(g + o) * load<f32>(dyr + o) - c * load<f32>(xr + o));
    }
  }
}

/** Rotates pairs of row t of v (width n) by position t's angles; inverse = rotate by -angle. */
export function ropeRows(v: usize, table: usize, T: i32, n: i32, hs: i32, inverse: bool): void {
  const N = <usize>n << 2;
  for (let t = 0; t < T; t++) {
    const row = table + (<usize>(t * hs) << 2);
    const vr = v + <usize>t * N;
    for (let i = 0; i < n; i += 2) {
      const e = row + (<usize>(i % hs) << 2);
      const c = load<f32>(e), sn = inverse ? -load<f32>(e, 4) : load<f32>(e, 4);
      const o = <usize>i << 2;
      const a0 = load<f32>(vr + o), a1 = load<f32>(vr + o, 4);
      store<f32>(vr + o, a0 * c - a1 * sn);
      store<f32>(vr + o, a0 * sn + a1 * c, 4);
    }
  }
}

export function addRows(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o)); }
}


