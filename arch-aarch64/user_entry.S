// Entering and leaving EL0: the assembly half of arch-aarch64/user.c.
//
// user_enter(frame) saves the kernel's callee-saved registers on the kernel stack, loads every
// user register from `frame` (the static g_user_frame) and erets to EL0. The translation
// tables stay the kernel's own (the process's level-2 table hangs in them, see user.c), so
// neither direction switches TTBR0 or flushes the TLB.
// It "returns" when the process traps: the EL0 vectors (vectors.S entries 8..11) jump to
// el0_trap, which stores the user registers into g_user_frame, acknowledges an IRQ (timer,
// UART, virtio: recorded as usual), and returns from user_enter with the vector number
// (8 sync, 9 IRQ, 10 FIQ, 11 SError) in x0.
//
// IRQs are masked from loading ELR/SPSR until the eret (an EL1 IRQ would clobber them);
// EL0 runs with IRQs unmasked, so the timer preempts a spinning process.
//
// Frame (see kernel/proc/user_imports.ts): x0..x30 at 8*n, sp 248, pc 256, pstate 264,
// tpidr_el0 272, esr 280, far 288, fpcr 296, fpsr 304, kind 312, v0..v31 at 320 + 16*n.
// The vector stub has already reserved 288 bytes of kernel stack and saved x0/x1 there.

#define KSAVE 192

    .text
    .balign 4
    .global user_enter
user_enter:
    sub sp, sp, #KSAVE
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mrs x2, fpcr
    mrs x3, tpidr_el0
    stp x2, x3, [sp, #160]
    str x18, [sp, #176]        // the platform register (reserved on the Windows ABI we compile for)
    mov x2, sp
    adrp x3, user_kernel_sp
    add x3, x3, :lo12:user_kernel_sp
    str x2, [x3]

    msr daifset, #2

    ldr x1, [x0, #248]
    msr sp_el0, x1
    ldr x1, [x0, #256]
    msr elr_el1, x1
    ldr x1, [x0, #264]
    msr spsr_el1, x1
    ldr x1, [x0, #272]
    msr tpidr_el0, x1
    ldr x1, [x0, #296]
    msr fpcr, x1
    ldr x1, [x0, #304]
    msr fpsr, x1
    add x1, x0, #320
    ldp q0, q1, [x1, #0]
    ldp q2, q3, [x1, #32]
    ldp q4, q5, [x1, #64]
    ldp q6, q7, [x1, #96]
    ldp q8, q9, [x1, #128]
    ldp q10, q11, [x1, #160]
    ldp q12, q13, [x1, #192]
    ldp q14, q15, [x1, #224]
    ldp q16, q17, [x1, #256]
    ldp q18, q19, [x1, #288]
    ldp q20, q21, [x1, #320]
    ldp q22, q23, [x1, #352]
    ldp q24, q25, [x1, #384]
    ldp q26, q27, [x1, #416]
    ldp q28, q29, [x1, #448]
    ldp q30, q31, [x1, #480]
    ldp x2, x3, [x0, #16]
    ldp x4, x5, [x0, #32]
    ldp x6, x7, [x0, #48]
    ldp x8, x9, [x0, #64]
    ldp x10, x11, [x0, #80]
    ldp x12, x13, [x0, #96]
    ldp x14, x15, [x0, #112]
    ldp x16, x17, [x0, #128]
    ldp x18, x19, [x0, #144]
    ldp x20, x21, [x0, #160]
    ldp x22, x23, [x0, #176]
    ldp x24, x25, [x0, #192]
    ldp x26, x27, [x0, #208]
    ldp x28, x29, [x0, #224]
    ldr x30, [x0, #240]
    ldp x0, x1, [x0, #0]
    eret

// Entered from the EL0 vector stubs: x0 = vector number, user x0/x1 at [sp], sp = SP_EL1
// (the kernel stack below user_enter's save area). IRQs are masked by the exception.
    .global el0_trap
el0_trap:
    str x2, [sp, #16]
    adrp x2, g_user_frame
    add x2, x2, :lo12:g_user_frame
    stp x3, x4, [x2, #24]
    stp x5, x6, [x2, #40]
    stp x7, x8, [x2, #56]
    stp x9, x10, [x2, #72]
    stp x11, x12, [x2, #88]
    stp x13, x14, [x2, #104]
    stp x15, x16, [x2, #120]
    stp x17, x18, [x2, #136]
    stp x19, x20, [x2, #152]
    stp x21, x22, [x2, #168]
    stp x23, x24, [x2, #184]
    stp x25, x26, [x2, #200]
    stp x27, x28, [x2, #216]
    stp x29, x30, [x2, #232]
    ldp x3, x4, [sp, #0]
    stp x3, x4, [x2, #0]
    ldr x3, [sp, #16]
    str x3, [x2, #16]
    mrs x3, sp_el0
    str x3, [x2, #248]
    mrs x3, elr_el1
    str x3, [x2, #256]
    mrs x3, spsr_el1
    str x3, [x2, #264]
    mrs x3, tpidr_el0
    str x3, [x2, #272]
    mrs x3, esr_el1
    str x3, [x2, #280]
    mrs x3, far_el1
    str x3, [x2, #288]
    mrs x3, fpcr
    str x3, [x2, #296]
    mrs x3, fpsr
    str x3, [x2, #304]
    str x0, [x2, #312]
    add x3, x2, #320
    stp q0, q1, [x3, #0]
    stp q2, q3, [x3, #32]
    stp q4, q5, [x3, #64]
    stp q6, q7, [x3, #96]
    stp q8, q9, [x3, #128]
    stp q10, q11, [x3, #160]
    stp q12, q13, [x3, #192]
    stp q14, q15, [x3, #224]
    stp q16, q17, [x3, #256]
    stp q18, q19, [x3, #288]
    stp q20, q21, [x3, #320]
    stp q22, q23, [x3, #352]
    stp q24, q25, [x3, #384]
    stp q26, q27, [x3, #416]
    stp q28, q29, [x3, #448]
    stp q30, q31, [x3, #480]

    // the kernel stack as user_enter left it
    adrp x3, user_kernel_sp
    add x3, x3, :lo12:user_kernel_sp
    ldr x3, [x3]
    mov sp, x3
    cmp x0, #9
    b.ne 1f
    bl exception_handle_irq
1:
    adrp x2, g_user_frame
    add x2, x2, :lo12:g_user_frame
    ldr x0, [x2, #312]
    ldp x2, x3, [sp, #160]
    msr fpcr, x2
    msr tpidr_el0, x3
    ldr x18, [sp, #176]
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #KSAVE
    ret
