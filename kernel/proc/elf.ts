// Static ELF64 aarch64 executables: parse and check the headers a loader needs.
//
// Accepted: ET_EXEC (fixed addresses) and static-PIE ET_DYN (no PT_INTERP; loaded at
// PIE_LOAD_BIAS). Everything is checked before anything is mapped, and every refusal names
// its reason ("error: program headers run past the end of the file"). The parser reads the
// file through a FileReader (fs/file_reader.ts), so the same code checks a buffer in a unit test and a file on
// ext4, and a hostile header can only ever produce a refusal.
//
//   ELF header (64 bytes)           program header (56 bytes each, at e_phoff)
//   0  e_ident[16] \x7fELF,2,1,1    0  p_type    4 p_flags (X=1 W=2 R=4)
//   16 e_type  18 e_machine (183)   8  p_offset  16 p_vaddr  24 p_paddr
//   24 e_entry 32 e_phoff           32 p_filesz  40 p_memsz  48 p_align
//   54 e_phentsize 56 e_phnum
import { USER_BASE, USER_TOP, PAGE } from "./layout";
import { FileReader } from "../fs/file_reader";

export const ET_EXEC: u16 = 2;
export const ET_DYN: u16 = 3;
export const EM_AARCH64: u16 = 183;
export const PT_LOAD: u32 = 1;
export const PT_INTERP: u32 = 3;
export const PT_PHDR: u32 = 6;
export const PT_TLS: u32 = 7;
export const PF_X: u32 = 1;
export const PF_W: u32 = 2;
export const PF_R: u32 = 4;
export const EHDR_SIZE: u32 = 64;
export const PHDR_SIZE: u32 = 56;
export const MAX_PHNUM: u32 = 64;
/** Where a static-PIE program's address 0 goes. */
export const PIE_LOAD_BIAS: u64 = 0x10000000;

export class Segment {
  /** Addresses after the load bias. */
  vaddr: u64 = 0;
  memsz: u64 = 0;
  offset: u64 = 0;
  filesz: u64 = 0;
  flags: u32 = 0;
}

export class ElfImage {
  /** Empty when the file is acceptable; otherwise why it was refused. */
  error: string = "";
  type: u16 = 0;
  bias: u64 = 0;
  entry: u64 = 0;
  phoff: u64 = 0;
  phnum: u32 = 0;
  /** Address of the program headers in the loaded image (AT_PHDR), 0 when not loaded. */
  phdrAddress: u64 = 0;
  segments: Array<Segment> = new Array<Segment>(0);
  hasTls: bool = false;
  tlsVaddr: u64 = 0;
  tlsMemsz: u64 = 0;
  tlsFilesz: u64 = 0;
  tlsAlign: u64 = 0;
  /** Highest address of any segment (page aligned): where the heap (brk) starts. */
  end: u64 = 0;
}

function refuse(image: ElfImage, reason: string): ElfImage {
  image.error = reason;
  return image;
}

/** a + b, or u64.MAX_VALUE when it overflows. */
@inline function addChecked(a: u64, b: u64): u64 {
  const s = a + b;
  return s < a ? u64.MAX_VALUE : s;
}

/** Parses and checks the headers of `src`. Never traps; see ElfImage.error. */
export function parseElf(src: FileReader): ElfImage {
  const image = new ElfImage();
  const size = src.size();
  if (size < <u64>EHDR_SIZE) return refuse(image, "file too small for an ELF header (" + size.toString() + " bytes)");
  const h = heap.alloc(EHDR_SIZE);
  const got = src.readAt(0, h, EHDR_SIZE);
  if (got != <i64>EHDR_SIZE) {
    heap.free(h);
    return refuse(image, "cannot read the ELF header");
  }
  const magic = load<u32>(h);
  const cls = load<u8>(h + 4), data = load<u8>(h + 5), version = load<u8>(h + 6);
  image.type = load<u16>(h + 16);
  const machine = load<u16>(h + 18);
  const fileVersion = load<u32>(h + 20);
  image.entry = load<u64>(h + 24);
  image.phoff = load<u64>(h + 32);
  const ehsize = load<u16>(h + 52);
  const phentsize = load<u16>(h + 54);
  image.phnum = load<u16>(h + 56);
  heap.free(h);

  if (magic != 0x464c457f) return refuse(image, "not an ELF file (bad magic)");
  if (cls != 2) return refuse(image, "not a 64-bit ELF file (class " + cls.toString() + ")");
  if (data != 1) return refuse(image, "not little-endian (data " + data.toString() + ")");
  if (version != 1 || fileVersion != 1) return refuse(image, "unknown ELF version");
  if (machine != EM_AARCH64) return refuse(image, "not an aarch64 program (machine " + machine.toString() + ")");
  if (image.type != ET_EXEC && image.type != ET_DYN) {
    return refuse(image, "not an executable (type " + image.type.toString() + ")");
  }
  if (ehsize < <u16>EHDR_SIZE) return refuse(image, "ELF header size " + ehsize.toString() + " is too small");
  if (phentsize != <u16>PHDR_SIZE) return refuse(image, "program header size " + phentsize.toString() + " is not 56");
  if (image.phnum == 0) return refuse(image, "no program headers");
  if (image.phnum > MAX_PHNUM) return refuse(image, "too many program headers (" + image.phnum.toString() + ")");
  const tableBytes = <u64>image.phnum * <u64>PHDR_SIZE;
  if (addChecked(image.phoff, tableBytes) > size) return refuse(image, "program headers run past the end of the file");

  const table = heap.alloc(<usize>tableBytes);
  if (src.readAt(image.phoff, table, <u32>tableBytes) != <i64>tableBytes) {
    heap.free(table);
    return refuse(image, "cannot read the program headers");
  }
  const reason = checkProgramHeaders(image, table, size);
  heap.free(table);
  if (reason.length > 0) return refuse(image, reason);
  return image;
}

function checkProgramHeaders(image: ElfImage, table: usize, size: u64): string {
  image.bias = image.type == ET_DYN ? PIE_LOAD_BIAS : 0;
  let lastEnd: u64 = 0;
  for (let i: u32 = 0; i < image.phnum; i++) {
    const p = table + <usize>(i * PHDR_SIZE);
    const type = load<u32>(p), flags = load<u32>(p + 4);
    const offset = load<u64>(p + 8), vaddr = load<u64>(p + 16);
    const filesz = load<u64>(p + 32), memsz = load<u64>(p + 40), align = load<u64>(p + 48);
    if (type == PT_INTERP) return "dynamically linked (has an interpreter): only static programs run";
    if (type == PT_TLS) {
      if (filesz > memsz) return "TLS segment: file size exceeds memory size";
      if (addChecked(offset, filesz) > size) return "TLS segment runs past the end of the file";
      if (align > 1 && (align & (align - 1)) != 0) return "TLS alignment " + align.toString() + " is not a power of two";
      image.hasTls = true;
      image.tlsVaddr = vaddr + image.bias;
      image.tlsMemsz = memsz;
      image.tlsFilesz = filesz;
      image.tlsAlign = align;
      continue;
    }
    if (type != PT_LOAD) continue;
    const n = image.segments.length.toString();
    if (filesz > memsz) return "segment " + n + ": file size exceeds memory size";
    if (addChecked(offset, filesz) > size) return "segment " + n + ": data runs past the end of the file";
    if (memsz == 0) continue;
    if ((vaddr & (PAGE - 1)) != (offset & (PAGE - 1))) return "segment " + n + ": address and file offset disagree modulo the page size";
    const start = addChecked(vaddr, image.bias);
    const end = addChecked(start, memsz);
    if (start < USER_BASE || end > USER_TOP) {
      return "segment " + n + ": addresses 0x" + start.toString(16) + "-0x" + end.toString(16) +
        " lie outside the user range 0x" + USER_BASE.toString(16) + "-0x" + USER_TOP.toString(16);
    }
    if ((start & ~(PAGE - 1)) < lastEnd) return "segment " + n + ": overlaps or precedes the previous segment";
    const s = new Segment();
    s.vaddr = start;
    s.memsz = memsz;
    s.offset = offset;
    s.filesz = filesz;
    s.flags = flags & 7;
    image.segments.push(s);
    lastEnd = (end + PAGE - 1) & ~(PAGE - 1);
    // AT_PHDR: the loaded copy of the program headers, when a segment's file data holds them
    if (image.phoff >= offset && addChecked(image.phoff, <u64>image.phnum * <u64>PHDR_SIZE) <= offset + filesz) {
      image.phdrAddress = start + (image.phoff - offset);
    }
  }
  if (image.segments.length == 0) return "no loadable segments";
  image.end = lastEnd;
  image.entry = addChecked(image.entry, image.bias);
  let entryOk = false;
  for (let i = 0; i < image.segments.length; i++) {
    const s = image.segments[i];
    if (image.entry >= s.vaddr && image.entry < s.vaddr + s.memsz && (s.flags & PF_X) != 0) entryOk = true;
  }
  if (!entryOk) return "entry point 0x" + image.entry.toString(16) + " is not in an executable segment";
  if (image.hasTls) {
    let tlsOk = false;
    for (let i = 0; i < image.segments.length; i++) {
      const s = image.segments[i];
      if (image.tlsVaddr >= s.vaddr && addChecked(image.tlsVaddr, image.tlsFilesz) <= s.vaddr + s.memsz) tlsOk = true;
    }
    if (!tlsOk && image.tlsFilesz > 0) return "TLS image is not inside a loadable segment";
  }
  return "";
}
