// The imports that run user code (arch-aarch64/user.c; the Node host has stand-ins).
//
// user_run enters EL0 with the registers in `frame` (FRAME_* below, 832 bytes) and the
// process's level-2 table, and returns when the process traps: the kind of trap (TRAP_*),
// with the frame updated (registers, ESR, FAR). The kernel is not re-entered meanwhile.

/** Attribute bits (AttrIndx, SH, AF) of normal memory for a user page descriptor. */
@external("platform", "user_page_attributes") export declare function user_page_attributes(): u64;
/**
 * Runs user code until it traps. `flags`: USER_RUN_SYNC_CODE makes the I-cache see new code
 * first; USER_RUN_TLB_STALE flushes the TLB first (a present descriptor was changed or removed).
 * The process's table is hung into the kernel's own tables: no flush at entry or exit unless
 * the table differs from the last run's or a flag asks for one.
 */
@external("platform", "user_run") export declare function user_run(frame: usize, l2Phys: u64, flags: u32): u32;
/** The level-2 table at `l2Phys` is about to be freed: it leaves the kernel's tables (and the TLB). */
@external("platform", "user_forget") export declare function user_forget(l2Phys: u64): void;
/** Drops the TLB entry of user page `va` if the table at `l2Phys` is the one in use (a permission raised). */
@external("platform", "user_tlb_invalidate") export declare function user_tlb_invalidate(l2Phys: u64, va: u64): void;
/** TLB flushes done for user processes (`kept` = 0), or entries to EL0 without one (`kept` = 1). */
@external("platform", "user_tlb_flushes") export declare function user_tlb_flushes(kept: u32): u64;

export const USER_RUN_SYNC_CODE: u32 = 1;
export const USER_RUN_TLB_STALE: u32 = 2;

// Trap kinds: the EL0 vector that was taken.
export const TRAP_SYNC: u32 = 8;
export const TRAP_IRQ: u32 = 9;
export const TRAP_FIQ: u32 = 10;
export const TRAP_SERROR: u32 = 11;
/** The platform cannot run user code (the Node host). */
export const TRAP_UNSUPPORTED: u32 = 0xff;

// Frame layout: 64-bit words.
export const FRAME_X0: u32 = 0; // x0..x30 at words 0..30
export const FRAME_SP: u32 = 31 * 8;
export const FRAME_PC: u32 = 32 * 8;
export const FRAME_PSTATE: u32 = 33 * 8;
export const FRAME_TPIDR: u32 = 34 * 8;
export const FRAME_ESR: u32 = 35 * 8;
export const FRAME_FAR: u32 = 36 * 8;
export const FRAME_FPCR: u32 = 37 * 8;
export const FRAME_FPSR: u32 = 38 * 8;
export const FRAME_KIND: u32 = 39 * 8;
export const FRAME_V0: u32 = 40 * 8; // v0..v31, 16 bytes each
export const FRAME_BYTES: u32 = 40 * 8 + 32 * 16;
