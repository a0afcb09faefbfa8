// The attention model's arithmetic: a fast e^x (expFast) for the f64 path, and the fixed-point
// pieces of the integer scoring path (Q16 conversion, 2^-t in Q30, the integer sigmoid).
// Scoring and training use the same functions, so the gradients match the function that is
// differentiated (kernel/ai/attention.ts).

// 2^(i/256) for i = 0..255 (the table of expFast).
const EXP2_TABLE = new StaticArray<f64>(256);
for (let i = 0; i < 256; i++) EXP2_TABLE[i] = Math.pow(2.0, <f64>i / 256.0);
const N_PER_LN2: f64 = 369.3299304675746; // 256 / ln 2
const LN2_PER_N: f64 = 0.0027076061740622863; // ln 2 / 256

/**
 * e^x for the model (softmax and sigmoid) in about a dozen operations: x = (n/256) ln2 + r
 * with |r| <= ln2/512, e^x = 2^(n>>8) * 2^((n&255)/256) * e^r, e^r by its Taylor series to
 * r^3 (relative error < 1e-12). Scoring and training use it alike, so the gradients match
 * the function that is differentiated.
 */
export function expFast(x: f64): f64 {
  if (x < -700) return 0;
  if (x > 700) x = 700;
  const n = <i64>Math.floor(x * N_PER_LN2 + 0.5);
  const r = x - <f64>n * LN2_PER_N;
  const er = 1 + r * (1 + r * (0.5 + r * 0.16666666666666666));
  return er * unchecked(EXP2_TABLE[<i32>(n & 255)]) * reinterpret<f64>(((n >> 8) + 1023) << 52);
}

// 2^(-i/256) in Q30 for i = 0..256 (the fixed-point exponential of score()).
const EXP2_NEG_Q30 = new StaticArray<i64>(257);
for (let i = 0; i <= 256; i++) EXP2_NEG_Q30[i] = <i64>Math.round(1073741824.0 * Math.pow(2.0, -<f64>i / 256.0));
export const LOG2E: f64 = 1.4426950408889634;
export const LOG2E_Q16: i64 = 94548; // log2(e) * 65536
export const Q16: f64 = 65536.0;
export const FIXED_LIMIT: f64 = 30000.0; // |u|, |r| are clamped here before Q16 (no i32 overflow)

// @ts-ignore: decorator
@inline export function toQ16(v: f64): i32 {
  const c = v > FIXED_LIMIT ? FIXED_LIMIT : v < -FIXED_LIMIT ? -FIXED_LIMIT : v;
  return <i32>Math.round(c * Q16);
}

// @ts-ignore: decorator
@inline export function sigmoid(z: f64): f64 {
  return z >= 0 ? 1.0 / (1.0 + expFast(-z)) : expFast(z) / (1.0 + expFast(z));
}

/** 2^-t for t >= 0 in Q16, as Q30 (the table with linear interpolation; 0 from t = 31). */
// @ts-ignore: decorator
@inline export function exp2NegQ30(t: i64): i64 {
  const whole = t >> 16;
  if (whole >= 31) return 0;
  const frac = <i32>(t & 0xffff);
  const entry = changetype<usize>(EXP2_NEG_Q30) + (<usize>(frac >> 8) << 3);
  const a = load<i64>(entry);
  const b = load<i64>(entry, 8);
  return (a - (((a - b) * <i64>(frac & 255)) >> 8)) >> whole;
}

/** sigmoid(z) for z in Q16, in integers (Q30 internally); differs from sigmoid() by < 1e-6. */
export function sigmoidQ16(z: i64): f64 {
  const neg = z < 0;
  const m = neg ? -z : z;
  const big = m > (<i64>1 << 24); // |z| > 256: e^-|z| is 0 at Q30
  const ex = big ? 0 : exp2NegQ30((m * LOG2E_Q16) >> 16); // e^-|z| in Q30
  const one: i64 = <i64>1 << 30;
  const pQ30 = neg ? (ex << 30) / (one + ex) : (one << 30) / (one + ex);
  return <f64>pQ30 * (1.0 / 1073741824.0);
}
