// The two 4-lane inner loops of the language model (the forward pass in model.ts and LoRA's
// training passes in lora/ops.ts): four independent accumulators, so clang turns each step of the
// generated C into one NEON multiply and add. Inlined; arithmetic order fixed (Node and QEMU agree).

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
