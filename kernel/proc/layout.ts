// The user address space: one 1 GiB range, below the kernel's RAM mapping.
//
//   0x0000_0000  unmapped (null pointers fault)
//   0x0001_0000  USER_BASE: program segments (ET_EXEC at their addresses, static-PIE at 0x1000_0000)
//   image end    brk heap, growing up (at most BRK_MAX)
//   0x3000_0000  MMAP_TOP: anonymous and file mappings, growing down
//   0x3f00_0000  stack limit (STACK_MAX below the top), pages mapped on first touch
//   0x3fff_f000  STACK_TOP; the page above holds the signal-return trampoline (SIGRETURN_CODE),
//                the stand-in for the vDSO that arm64 glibc's handlers return through
//   0x4000_0000  USER_TOP: everything at and above is kernel memory, never mapped for EL0
//
// The range is exactly what one level-2 translation table covers: the C side
// (arch-aarch64/user.c) hangs the process's level-2 table into a root whose other entries map
// the kernel's RAM for EL1 only, so EL0 can reach nothing but its own pages.
export const PAGE: u64 = 4096;
export const USER_BASE: u64 = 0x10000;
export const USER_TOP: u64 = 0x40000000;
export const STACK_TOP: u64 = 0x3ffff000;
export const STACK_MAX: u64 = 8 << 20;
export const MMAP_TOP: u64 = 0x30000000;
export const BRK_MAX: u64 = 256 << 20;
/** `mov x8, #139; svc #0` (rt_sigreturn), read+exec, where a handler without SA_RESTORER returns. */
export const SIGRETURN_CODE: u64 = 0x3ffff000;
