// The program image cache: the page-sized pieces of a static program's PT_LOAD segments, read
// from the file once and kept, so that exec does not read and copy the whole file again.
//
// Starting busybox read and copied about 2 MiB (500 pages through the VFS) on every exec, which
// was most of its start-up time. With the cache, read-only segments (text, rodata) are mapped
// straight to the cached frames, shared by every process running that program; writable
// segments get private copies of the cached pages (a memory copy, no file read). A shared frame
// is never mapped writable: making it writable (mprotect) gives the process a private copy first
// (AddressSpace.protectRange), and unmapping it never frees it.
//
// An entry is found by the file's identity and version: (dev, ino, size, mtime, ctime), so a
// rewritten or replaced program file is read again. Entries are used by address spaces (a count
// of spaces holding them); one nobody uses is freed, oldest first, when the cache holds more than
// TEXT_CACHE_MAX_PAGES or memory runs low (shrinkTextCache).
import { allocPagesZeroed, freePages } from "../mm/pages";
import { Stat } from "../fs/types";
import { FileReader } from "../fs/file_reader";
import { Segment, ElfImage } from "./elf";
import { PAGE } from "./layout";

export const TEXT_CACHE_MAX_PAGES: i32 = 4096; // 16 MiB

export class ImageEntry {
  key: string = "";
  /** Frames (linear addresses) per segment, one per page of [vaddr & ~4095, vaddr + memsz). */
  frames: Array<StaticArray<usize>> = new Array<StaticArray<usize>>(0);
  pages: i32 = 0;
  /** The program's parsed headers (immutable after parseElf): exec of a cached program reads no file. */
  elf: ElfImage | null = null;
  /** Address spaces holding this entry (AddressSpace.images). */
  users: i32 = 0;
  lastUse: u64 = 0;
}

let entries = new Array<ImageEntry>(0);
/** Every frame any entry owns: AddressSpace must not free these. */
const sharedFrames = new Set<usize>();
let cachedPages: i32 = 0;
let useClock: u64 = 0;
export let textCacheHits: u64 = 0;
export let textCacheMisses: u64 = 0;

export function isSharedFrame(frame: usize): bool { return sharedFrames.has(frame); }
export function textCachePages(): i32 { return cachedPages; }
export function textCacheEntries(): i32 { return entries.length; }

/** The cache key of a program file: its identity and version. */
export function imageKey(st: Stat): string {
  return st.dev.toString() + ":" + st.ino.toString() + ":" + st.size.toString() + ":" + st.mtime.toString() + "." +
    st.mtimeNs.toString() + ":" + st.ctime.toString() + "." + st.ctimeNs.toString();
}

function freeEntry(e: ImageEntry): void {
  for (let s = 0; s < e.frames.length; s++) {
    const f = e.frames[s];
    for (let i = 0; i < f.length; i++) {
      if (f[i] == 0) continue;
      sharedFrames.delete(f[i]);
      freePages(f[i], 0);
    }
  }
  cachedPages -= e.pages;
  e.frames = new Array<StaticArray<usize>>(0);
  e.pages = 0;
}

/** Frees unused entries, oldest first, until at most `keepPages` are cached; returns pages freed. */
export function shrinkTextCache(keepPages: i32): i32 {
  let freed = 0;
  while (cachedPages > keepPages) {
    let oldest = -1;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.users == 0 && (oldest < 0 || e.lastUse < entries[oldest].lastUse)) oldest = i;
    }
    if (oldest < 0) break;
    const e = entries[oldest];
    freed += e.pages;
    freeEntry(e);
    entries.splice(oldest, 1);
  }
  return freed;
}

const READ_OK = 0, READ_NO_MEMORY = 1, READ_SHORT = 2;

/** Reads one segment's pages into new frames: READ_OK, READ_NO_MEMORY or READ_SHORT. */
function readSegment(src: FileReader, s: Segment, out: StaticArray<usize>, e: ImageEntry): i32 {
  const first = s.vaddr & ~(PAGE - 1);
  for (let i = 0; i < out.length; i++) {
    const frame = allocPagesZeroed(0);
    if (frame == 0) return READ_NO_MEMORY;
    out[i] = frame;
    sharedFrames.add(frame);
    e.pages++;
    cachedPages++;
    // the part of this page that holds file bytes: [lo, hi) in segment offsets
    const pageVa = first + (<u64>i << 12);
    const lo: u64 = pageVa > s.vaddr ? pageVa - s.vaddr : 0;
    const hiVa = pageVa + PAGE;
    const hi: u64 = hiVa - s.vaddr < s.filesz ? hiVa - s.vaddr : s.filesz;
    if (lo >= hi) continue; // bss only
    const into = frame + <usize>((s.vaddr + lo) - pageVa);
    const got = src.readAt(s.offset + lo, into, <u32>(hi - lo));
    if (got != <i64>(hi - lo)) return READ_SHORT;
  }
  return READ_OK;
}

/**
 * The parsed ELF headers of the cached program version `key`, or null when it is not cached:
 * execve of a cached program then needs neither open() nor a read of its headers.
 */
export function cachedProgram(key: string): ElfImage | null {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.key == key && e.elf != null) return e.elf;
  }
  return null;
}

export class ImageLookup {
  entry: ImageEntry | null = null;
  error: string = "";
}

/**
 * The cached image of the program readable through `src`, whose version is `key` (imageKey),
 * with these segments, reading it when it is not cached. The caller takes a use
 * (AddressSpace.holdImage).
 */
export function programImage(src: FileReader | null, key: string, segments: Array<Segment>, elf: ElfImage | null = null): ImageLookup {
  const r = new ImageLookup();
  useClock++;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.key == key && e.frames.length == segments.length) {
      e.lastUse = useClock;
      textCacheHits++;
      r.entry = e;
      return r;
    }
  }
  textCacheMisses++;
  if (src == null) { r.error = "program image no longer cached"; return r; }
  const e = new ImageEntry();
  e.key = key;
  e.elf = elf;
  e.lastUse = useClock;
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s];
    const first = seg.vaddr & ~(PAGE - 1);
    const end = (seg.vaddr + seg.memsz + PAGE - 1) & ~(PAGE - 1);
    const frames = new StaticArray<usize>(<i32>((end - first) >> 12));
    e.frames.push(frames);
    const got = readSegment(src!, seg, frames, e);
    if (got != READ_OK) {
      freeEntry(e);
      r.error = got == READ_NO_MEMORY ? "out of memory" : "cannot read segment " + s.toString() + " (I/O error or short file)";
      return r;
    }
  }
  entries.push(e);
  shrinkTextCache(TEXT_CACHE_MAX_PAGES);
  r.entry = e;
  return r;
}
