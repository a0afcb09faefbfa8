// Two edits to the C that wasm2c 1.0.32 generates for the kernel (build/gen/kernel.c), made
// because they decide how fast TypeScript's memory loops run on the CPU (measured in
// kernel/llm/README.md, "Where the time goes"):
//
// 1. No software bounds check on scalar loads and stores (MEMCHECK). Every wasm address is
//    a u32 plus a u32 offset, so it lies in [0, 8 GiB); memory.data is the fixed virtual
//    window at SIS_LINEAR_VIRT_BASE, and arch-aarch64/mmu.c maps only the window's
//    1 GiB + 48 MiB there and leaves the rest of the 8 GiB unmapped (the guard region), so
//    an out-of-bounds access faults in the MMU and trap.c reports it as a wasm
//    out-of-bounds access. A trap already meant a panic, so nothing recoverable is lost.
//    memory.copy / memory.fill keep their explicit RANGE_CHECK (lengths are 32-bit).
// 2. No empty asm statement after each load (`asm("" :: "r"(result))`, which wabt adds so
//    a dead load still faults): it pinned every loaded value into a register one at a time,
//    which stopped clang from combining adjacent loads and arithmetic into NEON vector
//    instructions. The arithmetic itself is unchanged (no reassociation, no fused
//    multiply-add), so results stay bit-identical to the wasm on Node.
// 3. Loads and stores address memory through the constant SIS_LINEAR_VIRT_BASE (arch.h; the
//    runtime puts memory.data there and nowhere else) instead of reloading memory.data: after
//    every store the compiler had to assume the pointer itself changed (a byte store may alias
//    it), which kept loops that store (axpy, residual adds) from being vectorised.
// 4. Reinterpreting f32 <-> i32 bits (and wasm2c's NaN helpers) through __builtin_memcpy: the
//    kernel is compiled -ffreestanding, which turns plain memcpy into a real call, so every
//    reinterpret (Mathf.exp/log/pow do several per call, the language model's exp and bit
//    tricks too) was a call into arch-aarch64/libc.c's memmove and kept the loop around it
//    scalar. Same bits either way.
// Each edit must match exactly once per expected site, or the build fails (a new wabt
// version has to be looked at, not silently left unpatched).
const EDITS: { find: string; replace: string; count: number }[] = [
  {
    find: "#define MEMCHECK(mem, a, t) RANGE_CHECK(mem, a, sizeof(t))",
    replace: "#define MEMCHECK(mem, a, t) /* guard region: arch-aarch64/mmu.c, toolchain/wasm2c-patch.ts */",
    count: 1,
  },
  { find: 'wasm_asm("" ::"r"(result));', replace: "/* no load barrier */", count: 2 },
  {
    find: "#define TRAP(x) (wasm_rt_trap(WASM_RT_TRAP_##x), 0)",
    replace: '#include "../../arch-aarch64/arch.h"\n#define SIS_LINEAR ((u8*)SIS_LINEAR_VIRT_BASE)\n' +
      "#define TRAP(x) (wasm_rt_trap(WASM_RT_TRAP_##x), 0)",
    count: 1,
  },
  { find: "wasm_rt_memcpy(&result, &mem->data[addr], sizeof(t1));", replace: "wasm_rt_memcpy(&result, &SIS_LINEAR[addr], sizeof(t1));", count: 1 },
  { find: "    memcpy(&result, &x, sizeof(result)); \\", replace: "    __builtin_memcpy(&result, &x, sizeof(result)); \\", count: 1 },
  ...["memcpy(&tmp, &x, 4);", "memcpy(&x, &tmp, 4);", "memcpy(&tmp, &x, 8);", "memcpy(&x, &tmp, 8);"].map((find) =>
    ({ find: " " + find, replace: " __builtin_" + find, count: 2 })),
  { find: "wasm_rt_memcpy(&mem->data[addr], &wrapped, sizeof(t1));", replace: "wasm_rt_memcpy(&SIS_LINEAR[addr], &wrapped, sizeof(t1));", count: 1 },
];

export function patchWasm2cOutput(c: string): string {
  for (const e of EDITS) {
    const n = c.split(e.find).length - 1;
    if (n !== e.count) throw new Error(`wasm2c-patch: expected ${e.count} x '${e.find}' in kernel.c, found ${n}`);
    c = c.split(e.find).join(e.replace);
  }
  return c;
}
