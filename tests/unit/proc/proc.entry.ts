// Test entry for kernel/proc on Node: ELF parsing from a buffer, address spaces (tables,
// regions, faults, copy in/out, fork, destroy) over the test page window, and the initial
// stack. EL0 itself only exists in QEMU (tests/target/proc.test.ts).
import { initMemory, freePagesNow } from "../../../kernel/mm/pages";
import { parseElf, ElfImage } from "../../../kernel/proc/elf";
import { MemoryFileReader } from "../../../kernel/fs/file_reader";
import { AddressSpace, PROT_READ, PROT_WRITE, PROT_EXEC, cowSharedFrames } from "../../../kernel/proc/addrspace";
import { buildStack } from "../../../kernel/proc/stack";
import { STACK_TOP, STACK_MAX } from "../../../kernel/proc/layout";
import { loadSegments } from "../../../kernel/proc/load_segments";
import { textCachePages, textCacheEntries, textCacheHits, shrinkTextCache, cachedProgram } from "../../../kernel/proc/text_cache";

export function memInit(): void { initMemory(); }
export function freePages(): u32 { return freePagesNow(); }
export function alloc(n: u32): usize { return heap.alloc(<usize>n); }
export function release(p: usize): void { heap.free(p); }

let lastImage: ElfImage = new ElfImage();
/** Parses the ELF bytes at [p, p + n); returns the refusal reason ("" = accepted). */
export function elfParse(p: usize, n: u32): string {
  lastImage = parseElf(new MemoryFileReader(p, <u64>n));
  return lastImage.error;
}
export function elfEntry(): u64 { return lastImage.entry; }
export function elfType(): u32 { return lastImage.type; }
export function elfSegments(): i32 { return lastImage.segments.length; }
export function elfSegment(i: i32, field: i32): u64 {
  const s = lastImage.segments[i];
  return field == 0 ? s.vaddr : field == 1 ? s.memsz : field == 2 ? s.offset : field == 3 ? s.filesz : <u64>s.flags;
}
export function elfTls(): u64 { return lastImage.hasTls ? lastImage.tlsMemsz : u64.MAX_VALUE; }
export function elfPhdr(): u64 { return lastImage.phdrAddress; }
export function elfEnd(): u64 { return lastImage.end; }

const spaces = new Array<AddressSpace | null>(0);
export function asNew(): i32 { spaces.push(new AddressSpace()); return spaces.length - 1; }
function sp(i: i32): AddressSpace { return spaces[i]!; }
export function asRegion(i: i32, start: u64, end: u64, prot: u32): void { sp(i).addRegion(start, end, prot, "test"); }
export function asFault(i: i32, va: u64, write: bool): bool { return sp(i).handleFault(va, write); }
export function asPages(i: i32): i32 { return sp(i).pages; }
export function asTables(i: i32): i32 { return sp(i).tables; }
export function asProt(i: i32, va: u64): i32 { return sp(i).pageProt(va); }
export function asCopyOut(i: i32, va: u64, src: usize, n: u64): bool { return sp(i).copyOut(va, src, n); }
export function asCopyIn(i: i32, dst: usize, va: u64, n: u64): bool { return sp(i).copyIn(dst, va, n); }
export function asFill(i: i32, va: u64, src: usize, n: u64): bool { return sp(i).fill(va, src, n); }
export function asProtect(i: i32, start: u64, end: u64, prot: u32): void { sp(i).protectRange(start, end, prot); }
export function asRemove(i: i32, start: u64, end: u64): void { sp(i).removeRange(start, end); }
export function asFork(i: i32): i32 { const c = sp(i).fork(); spaces.push(c); return c == null ? -1 : spaces.length - 1; }
export function asDestroy(i: i32): void { sp(i).destroy(); }
/** A write fault by the process at `va` (a present page): true when copy-on-write resolved it. */
export function asWriteFault(i: i32, va: u64): bool { return sp(i).handleWriteFault(va); }
export function cowShared(): i32 { return cowSharedFrames(); }
export function asTlbStale(i: i32): bool { const s = sp(i); const v = s.tlbStale; s.tlbStale = false; return v; }
export function asString(i: i32, va: u64, max: i32): string { const s = sp(i).readString(va, max); return s == null ? "<null>" : s!; }
export function asL2(i: i32): usize { return sp(i).l2; }
/** The raw L3 descriptor for `va` (0 when none). */
export function asDescriptor(i: i32, va: u64): u64 {
  const s = sp(i);
  const e2 = load<u64>(s.l2 + <usize>(((va >> 21) & 511) << 3));
  if ((e2 & 3) != 3) return 0;
  const l3 = <usize>((e2 & 0x0000fffffffff000) - 0x40000000);
  return load<u64>(l3 + <usize>(((va >> 12) & 511) << 3));
}

/** Builds a stack for the last parsed image: argv and envp joined by "\n". Returns sp or 0. */
export function stackBuild(i: i32, argv: string, envp: string, execfn: string): u64 {
  const s = sp(i);
  s.addRegion(STACK_TOP - STACK_MAX, STACK_TOP, PROT_READ | PROT_WRITE, "stack");
  const a = argv.length > 0 ? argv.split("\n") : new Array<string>(0);
  const e = envp.length > 0 ? envp.split("\n") : new Array<string>(0);
  const layout = buildStack(s, lastImage, a, e, execfn);
  return layout.error.length > 0 ? 0 : layout.sp;
}
export const RX: u32 = PROT_READ | PROT_EXEC;
export const RW: u32 = PROT_READ | PROT_WRITE;

// ---- the program image cache (kernel/proc/text_cache.ts, load_segments.ts)
/** Loads cached version `version` into space i as execve does for a cached program: no file at all. */
export function asLoadCached(i: i32, version: i32): string {
  const key = "test:" + version.toString();
  const image = cachedProgram(key);
  if (image == null) return "not cached";
  lastImage = image!;
  return loadSegments(sp(i), image!, null, key);
}
/** Loads the ELF at [p, p + n) into space i through the image cache as file version `version`; "" or the error. */
export function asLoadImage(i: i32, p: usize, n: u32, version: i32): string {
  const key = "test:" + version.toString();
  const src = new MemoryFileReader(p, <u64>n);
  const image = parseElf(src);
  if (image.error.length > 0) return image.error;
  return loadSegments(sp(i), image, src, key);
}
export function asFrame(i: i32, va: u64): usize { return sp(i).frameOf(va); }
export function cachePages(): i32 { return textCachePages(); }
export function cacheEntries(): i32 { return textCacheEntries(); }
export function cacheHits(): u64 { return textCacheHits; }
export function cacheShrink(keep: i32): i32 { return shrinkTextCache(keep); }
