// The initial user stack of a new program, as the Linux aarch64 ABI lays it out:
//
//   STACK_TOP
//     16 random bytes (AT_RANDOM), "aarch64" (AT_PLATFORM), the program path (AT_EXECFN),
//     argument strings, environment strings            <- the strings area
//     (padding to 16 bytes)
//     auxv: (type, value) pairs ... (AT_NULL, 0)
//     envp[0..m-1], NULL
//     argv[0..n-1], NULL
//   sp -> argc                                          (sp is 16-byte aligned)
import { AddressSpace } from "./addrspace";
import { STACK_TOP } from "./layout";
import { ElfImage, PHDR_SIZE } from "./elf";
import { randomU64 } from "./entropy";

export const AT_NULL: u64 = 0;
export const AT_PHDR: u64 = 3;
export const AT_PHENT: u64 = 4;
export const AT_PHNUM: u64 = 5;
export const AT_PAGESZ: u64 = 6;
export const AT_BASE: u64 = 7;
export const AT_FLAGS: u64 = 8;
export const AT_ENTRY: u64 = 9;
export const AT_UID: u64 = 11;
export const AT_EUID: u64 = 12;
export const AT_GID: u64 = 13;
export const AT_EGID: u64 = 14;
export const AT_PLATFORM: u64 = 15;
export const AT_HWCAP: u64 = 16;
export const AT_CLKTCK: u64 = 17;
export const AT_SECURE: u64 = 23;
export const AT_RANDOM: u64 = 25;
export const AT_HWCAP2: u64 = 26;
export const AT_EXECFN: u64 = 31;

/** HWCAP_FP | HWCAP_ASIMD: what a Cortex-A57 (QEMU's -cpu) has that glibc checks. */
export const HWCAP_VALUE: u64 = 0x3;
/** Arguments plus environment may take at most this many bytes (Linux: a quarter of the stack). */
export const ARG_MAX: i32 = 128 * 1024;

export class StackLayout {
  /** Empty on success; else why the stack could not be built (E2BIG, EFAULT). */
  error: string = "";
  sp: u64 = 0;
  argc: i32 = 0;
  argvAddress: u64 = 0;
  envpAddress: u64 = 0;
  auxvAddress: u64 = 0;
  randomAddress: u64 = 0;
  execfnAddress: u64 = 0;
}

/** Writes `s` and a NUL below `top`; returns the new top (the string's address). */
function pushString(space: AddressSpace, top: u64, s: string): u64 {
  const bytes = String.UTF8.encode(s, true);
  const n = <u64>bytes.byteLength;
  const at = top - n;
  if (!space.fill(at, changetype<usize>(bytes), n)) return 0;
  return at;
}

/**
 * Builds the initial stack in `space` (whose stack region must already exist) for `image`.
 * `execfn` is the path the program was started by.
 */
export function buildStack(space: AddressSpace, image: ElfImage, argv: Array<string>, envp: Array<string>,
  execfn: string): StackLayout {
  const out = new StackLayout();
  let total = 0;
  for (let i = 0; i < argv.length; i++) total += String.UTF8.byteLength(argv[i]) + 1;
  for (let i = 0; i < envp.length; i++) total += String.UTF8.byteLength(envp[i]) + 1;
  if (total > ARG_MAX) { out.error = "argument list too long"; return out; }

  let top = STACK_TOP;
  // 16 random bytes for the stack protector and pointer guard
  const rnd = memory.data(16);
  store<u64>(rnd, randomU64());
  store<u64>(rnd + 8, randomU64());
  top -= 16;
  if (!space.fill(top, rnd, 16)) { out.error = "cannot map the stack"; return out; }
  out.randomAddress = top;
  const platform = pushString(space, top, "aarch64");
  if (platform == 0) { out.error = "cannot map the stack"; return out; }
  top = platform;
  out.execfnAddress = pushString(space, top, execfn);
  top = out.execfnAddress;
  const envAddrs = new Array<u64>(envp.length);
  for (let i = envp.length - 1; i >= 0; i--) { top = pushString(space, top, envp[i]); envAddrs[i] = top; }
  const argAddrs = new Array<u64>(argv.length);
  for (let i = argv.length - 1; i >= 0; i--) { top = pushString(space, top, argv[i]); argAddrs[i] = top; }
  if (top == 0) { out.error = "cannot map the stack"; return out; }

  // the vector part: argc, argv, NULL, envp, NULL, auxv pairs
  const aux = new Array<u64>(0);
  aux.push(AT_PHDR); aux.push(image.phdrAddress);
  aux.push(AT_PHENT); aux.push(<u64>PHDR_SIZE);
  aux.push(AT_PHNUM); aux.push(<u64>image.phnum);
  aux.push(AT_PAGESZ); aux.push(4096);
  aux.push(AT_BASE); aux.push(0);
  aux.push(AT_FLAGS); aux.push(0);
  aux.push(AT_ENTRY); aux.push(image.entry);
  aux.push(AT_UID); aux.push(0);
  aux.push(AT_EUID); aux.push(0);
  aux.push(AT_GID); aux.push(0);
  aux.push(AT_EGID); aux.push(0);
  aux.push(AT_SECURE); aux.push(0);
  aux.push(AT_HWCAP); aux.push(HWCAP_VALUE);
  aux.push(AT_HWCAP2); aux.push(0);
  aux.push(AT_CLKTCK); aux.push(100);
  aux.push(AT_RANDOM); aux.push(out.randomAddress);
  aux.push(AT_PLATFORM); aux.push(platform);
  aux.push(AT_EXECFN); aux.push(out.execfnAddress);
  aux.push(AT_NULL); aux.push(0);
  const words = 1 + argv.length + 1 + envp.length + 1 + aux.length;
  let sp = (top - <u64>words * 8) & ~(<u64>15);
  out.sp = sp;
  out.argc = argv.length;
  const vec = heap.alloc(<usize>words * 8);
  let w: usize = 0;
  store<u64>(vec + (w++ << 3), <u64>argv.length);
  out.argvAddress = sp + 8;
  for (let i = 0; i < argv.length; i++) store<u64>(vec + (w++ << 3), argAddrs[i]);
  store<u64>(vec + (w++ << 3), 0);
  out.envpAddress = sp + <u64>w * 8;
  for (let i = 0; i < envp.length; i++) store<u64>(vec + (w++ << 3), envAddrs[i]);
  store<u64>(vec + (w++ << 3), 0);
  out.auxvAddress = sp + <u64>w * 8;
  for (let i = 0; i < aux.length; i++) store<u64>(vec + (w++ << 3), aux[i]);
  const ok = space.fill(sp, vec, <u64>words * 8);
  heap.free(vec);
  if (!ok) out.error = "cannot map the stack";
  return out;
}
