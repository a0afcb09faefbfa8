// Loading a program's PT_LOAD segments into an address space, from the program image cache.
import { AddressSpace, PROT_READ, PROT_WRITE, PROT_EXEC } from "./addrspace";
import { ElfImage, PF_R, PF_W, PF_X } from "./elf";
import { FileReader } from "../fs/file_reader";
import { programImage } from "./text_cache";
import { PAGE } from "./layout";

export function segmentProt(flags: u32): u32 {
  let p: u32 = 0;
  if ((flags & PF_R) != 0) p |= PROT_READ;
  if ((flags & PF_W) != 0) p |= PROT_WRITE;
  if ((flags & PF_X) != 0) p |= PROT_EXEC;
  return p;
}

/**
 * Maps the program's PT_LOAD segments from the image cache: read-only segments share the cached
 * frames, writable ones get private copies of them (file bytes, then zeros for bss). `src` may
 * be null when the image is known to be cached (cachedProgram): nothing is read then.
 */
export function loadSegments(space: AddressSpace, image: ElfImage, src: FileReader | null, key: string): string {
  const found = programImage(src, key, image.segments, image);
  if (found.entry == null) return found.error;
  const cached = found.entry!;
  space.holdImage(cached);
  for (let i = 0; i < image.segments.length; i++) {
    const s = image.segments[i];
    const start = s.vaddr & ~(PAGE - 1);
    const end = (s.vaddr + s.memsz + PAGE - 1) & ~(PAGE - 1);
    const prot = segmentProt(s.flags);
    space.addRegion(start, end, prot, i == 0 ? "text" : "data");
    const frames = cached.frames[i];
    for (let k = 0; k < frames.length; k++) {
      const va = start + (<u64>k << 12);
      if ((prot & PROT_WRITE) == 0 && !pageInOtherSegment(image, i, va)) {
        if (!space.mapShared(va, frames[k], prot)) return "out of memory";
        continue;
      }
      // pages past the file bytes are all zero: left to fault in lazily, as bss always was
      if (va >= s.vaddr + s.filesz) continue;
      const frame = space.mapNewPage(va, prot); // an existing private page when segments share it
      if (frame == 0) return "out of memory";
      // only this segment's bytes of the page: another segment may own the rest
      const lo = va > s.vaddr ? va : s.vaddr;
      const hi = va + PAGE < s.vaddr + s.memsz ? va + PAGE : s.vaddr + s.memsz;
      memory.copy(frame + <usize>(lo - va), frames[k] + <usize>(lo - va), <usize>(hi - lo));
    }
  }
  return "";
}

/** True when a segment other than `i` covers part of the page at `va` (it cannot be shared). */
function pageInOtherSegment(image: ElfImage, i: i32, va: u64): bool {
  for (let j = 0; j < image.segments.length; j++) {
    if (j == i) continue;
    const o = image.segments[j];
    if (o.vaddr < va + PAGE && va < o.vaddr + o.memsz) return true;
  }
  return false;
}

