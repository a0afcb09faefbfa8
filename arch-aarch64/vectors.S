// EL1 exception vector table (VBAR_EL1) and the register save/restore around it.
//
// Each of the 16 entries is 128 bytes: it reserves a frame, saves x0/x1, puts its
// kind (0..15, the entry index) in x0 and jumps to the common path, which saves the
// other registers and calls exception_dispatch(kind, frame) in trap.c. IRQs return
// through the same path; synchronous exceptions and SErrors panic in C and never return.
//
// Frame (288 bytes): x0..x30 at 8*n, elr at 248, spsr at 256, kind at 264.
// The C code on this path is built with -mgeneral-regs-only, so the FP/SIMD registers
// that the interrupted wasm code uses are never touched and need no saving.

#define FRAME 288

.macro ventry kind
    .balign 128
    sub sp, sp, #FRAME
    stp x0, x1, [sp, #0]
    mov x0, #\kind
    b exception_common
.endm

// Entries 8..11 (from EL0, AArch64) leave user code: see user_entry.S.
.macro ventry_el0 kind
    .balign 128
    sub sp, sp, #FRAME
    stp x0, x1, [sp, #0]
    mov x0, #\kind
    b el0_trap
.endm

    .text
    .balign 2048
    .global exception_vectors
exception_vectors:
    ventry 0
    ventry 1
    ventry 2
    ventry 3
    ventry 4
    ventry 5
    ventry 6
    ventry 7
    ventry_el0 8
    ventry_el0 9
    ventry_el0 10
    ventry_el0 11
    ventry 12
    ventry 13
    ventry 14
    ventry 15

exception_common:
    stp x2, x3, [sp, #16]
    stp x4, x5, [sp, #32]
    stp x6, x7, [sp, #48]
    stp x8, x9, [sp, #64]
    stp x10, x11, [sp, #80]
    stp x12, x13, [sp, #96]
    stp x14, x15, [sp, #112]
    stp x16, x17, [sp, #128]
    stp x18, x19, [sp, #144]
    stp x20, x21, [sp, #160]
    stp x22, x23, [sp, #176]
    stp x24, x25, [sp, #192]
    stp x26, x27, [sp, #208]
    stp x28, x29, [sp, #224]
    mrs x2, elr_el1
    mrs x3, spsr_el1
    stp x30, x2, [sp, #240]
    stp x3, x0, [sp, #256]
    mov x1, sp
    bl exception_dispatch
    ldp x30, x2, [sp, #240]
    ldr x3, [sp, #256]
    msr elr_el1, x2
    msr spsr_el1, x3
    ldp x0, x1, [sp, #0]
    ldp x2, x3, [sp, #16]
    ldp x4, x5, [sp, #32]
    ldp x6, x7, [sp, #48]
    ldp x8, x9, [sp, #64]
    ldp x10, x11, [sp, #80]
    ldp x12, x13, [sp, #96]
    ldp x14, x15, [sp, #112]
    ldp x16, x17, [sp, #128]
    ldp x18, x19, [sp, #144]
    ldp x20, x21, [sp, #160]
    ldp x22, x23, [sp, #176]
    ldp x24, x25, [sp, #192]
    ldp x26, x27, [sp, #208]
    ldp x28, x29, [sp, #224]
    add sp, sp, #FRAME
    eret

// void switch_stack_and_call(uint64_t stack_top, void (*fn)(void)): never returns.
    .global switch_stack_and_call
switch_stack_and_call:
    mov sp, x0
    mov x29, #0
    mov x30, #0
    br x1
