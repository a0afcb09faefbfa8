// The 4-lane inner loops of the language model (the forward pass in model.ts and LoRA's
// training passes in lora/ops.ts): four independent accumulators, so clang turns each step of
// the generated C into one NEON multiply and add; and the forward pass's f32 exp (softmax,
// SiLU), 4 lanes side by side. Inlined; arithmetic order fixed (Node and QEMU agree).

/** Dot product with four accumulators: fewer loop branches, and independent adds. */
// @ts-ignore: decorator
@inline export function dot(a: usize, b: usize, n: i32): f32 {
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const pa = a + (<usize>j << 2), pb = b + (<usize>j << 2);
    s0 += load<f32>(pa) * load<f32>(pb);
    s1 += load<f32>(pa, 4) * load<f32>(pb, 4);
    s2 += load<f32>(pa, 8) * load<f32>(pb, 8);
    s3 += load<f32>(pa, 12) * load<f32>(pb, 12);
  }
  for (; j < n; j++) { const o = <usize>j << 2; s0 += load<f32>(a + o) * load<f32>(b + o); }
  return (s0 + s1) + (s2 + s3);
}

/** y += a x in 4 lanes per step (one NEON multiply and add in the kernel's C). */
// @ts-ignore: decorator
@inline export function axpy(y: usize, x: usize, a: f32, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, py = y + o, px = x + o;
    const y0 = load<f32>(py) + a * load<f32>(px), y1 = load<f32>(py, 4) + a * load<f32>(px, 4);
    const y2 = load<f32>(py, 8) + a * load<f32>(px, 8), y3 = load<f32>(py, 12) + a * load<f32>(px, 12);
    store<f32>(py, y0); store<f32>(py, y1, 4); store<f32>(py, y2, 8); store<f32>(py, y3, 12);
  }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o)); }
}

/**
 * exp(x) in f32 arithmetic only, straight-line so that four calls side by side become NEON
 * (the library's Mathf.exp is ~20 scalar FP instructions through f64 with range branches,
 * each a softfloat call under QEMU's TCG): x clamped to [-86, 88] (exp(-86) ~ 4e-38, beyond
 * which softmax weights and SiLU gates are 0 in f32 anyway), x = k ln2 + r with k rounded to
 * nearest by the 1.5 * 2^23 shift and ln2 split in two (Cody-Waite), exp(r) by Cephes'
 * degree-7 polynomial (about 1 ulp), times 2^k added to the exponent bits.
 */
// @ts-ignore: decorator
@inline export function expLane(v: f32): f32 {
  // the clamp on the bits as integers (f32 min/max become NaN-handling branches in wasm2c's C
  // that stop vectorisation): unsigned, every negative float below -86 has larger bits than
  // -86's; signed, every float above 88 has larger bits than 88's (negative ones are < 0)
  let bu = reinterpret<u32>(v);
  bu = bu < 0xc2ac0000 ? bu : 0xc2ac0000;
  let bs = <i32>bu;
  bs = bs < 0x42b00000 ? bs : 0x42b00000;
  const x = reinterpret<f32>(bs);
  const t: f32 = x * <f32>1.44269504088896341 + <f32>12582912.0;
  const k: f32 = t - <f32>12582912.0;
  let r: f32 = x - k * <f32>0.693359375;
  r = r - k * <f32>-2.12194440e-4;
  const z: f32 = r * r;
  let y: f32 = <f32>1.9875691500e-4;
  y = y * r + <f32>1.3981999507e-3;
  y = y * r + <f32>8.3334519073e-3;
  y = y * r + <f32>4.1665795894e-2;
  y = y * r + <f32>1.6666665459e-1;
  y = y * r + <f32>5.0000001201e-1;
  y = y * z + r + <f32>1.0;
  return reinterpret<f32>(reinterpret<i32>(y) + ((reinterpret<i32>(t) - 0x4b400000) << 23));
}

/** x[i] = exp(x[i] - max) for i < n; returns their sum (4 lane sums, then added pairwise). */
export function expShiftSum(x: usize, n: i32, max: f32): f32 {
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a = x + (<usize>i << 2);
    const e0 = expLane(load<f32>(a) - max), e1 = expLane(load<f32>(a, 4) - max);
    const e2 = expLane(load<f32>(a, 8) - max), e3 = expLane(load<f32>(a, 12) - max);
    store<f32>(a, e0); store<f32>(a, e1, 4); store<f32>(a, e2, 8); store<f32>(a, e3, 12);
    s0 += e0; s1 += e1; s2 += e2; s3 += e3;
  }
  for (; i < n; i++) {
    const a = x + (<usize>i << 2);
    const e = expLane(load<f32>(a) - max);
    store<f32>(a, e);
    s0 += e;
  }
  return (s0 + s1) + (s2 + s3);
}
