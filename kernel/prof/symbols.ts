// The kernel's symbol table for the profiler: image-relative start addresses and names,
// sorted, from /boot/kernel.sym (toolchain/symbols.ts writes it from the link map and the
// wasm name section, so wasm2c's functions carry their AssemblyScript names).
// Format: one "HEX NAME" per line, ascending.
import { VfsFileReader } from "../fs/file_reader";
import { hex } from "../lib/format";

export const SYMBOL_FILE = "/boot/kernel.sym";
/** prof.c's marker for a sample taken in user code (EL0). */
export const USER_PC: u32 = 0xffffffff;

export class SymbolTable {
  addrs: Array<u32> = new Array<u32>(0);
  names: Array<string> = new Array<string>(0);
  /** Beyond the last symbol by more than this, an address is not named after it. */
  end: u32 = 0;

  get length(): i32 { return this.addrs.length; }

  /** The function containing rva: the last symbol at or below it; a hex address when none. */
  lookup(rva: u32): string {
    if (rva == USER_PC) return "[user]";
    if (rva == 0) return "[unknown]";
    let lo = 0, hi = this.addrs.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (unchecked(this.addrs[mid]) <= rva) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0 || (this.end != 0 && rva >= this.end)) return "0x" + hex(rva);
    return unchecked(this.names[found]);
  }
}

function hexDigit(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses "HEX NAME" lines (others skipped); "end HEX" sets where the text section ends.
 * Lines out of order are refused (null) since lookup() needs them sorted.
 */
export function parseSymbols(text: string): SymbolTable | null {
  const t = new SymbolTable();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const sp = line.indexOf(" ");
    if (sp <= 0) continue;
    const isEnd = line.startsWith("end ");
    const digits = isEnd ? line.substring(4).trim() : line.substring(0, sp);
    let v: u64 = 0, ok = digits.length > 0 && digits.length <= 8;
    for (let k = 0; ok && k < digits.length; k++) {
      const d = hexDigit(digits.charCodeAt(k));
      if (d < 0) ok = false; else v = (v << 4) | <u64>d;
    }
    if (!ok) continue;
    if (isEnd) { t.end = <u32>v; continue; }
    if (t.addrs.length > 0 && <u32>v < t.addrs[t.addrs.length - 1]) return null;
    t.addrs.push(<u32>v);
    t.names.push(line.substring(sp + 1).trim());
  }
  return t;
}

/** Loads SYMBOL_FILE (or path); null with `loadError` set when it cannot. */
export let loadError = "";
export function loadSymbols(path: string = SYMBOL_FILE): SymbolTable | null {
  const r = VfsFileReader.open(path);
  if (r == null) { loadError = VfsFileReader.error; return null; }
  const size = r.size();
  if (size > (16 << 20)) { r.close(); loadError = path + ": larger than 16 MiB"; return null; }
  const buf = new ArrayBuffer(<i32>size);
  const ok = r.readFully(0, changetype<usize>(buf), size);
  r.close();
  if (!ok) { loadError = path + ": read failed"; return null; }
  const t = parseSymbols(String.UTF8.decode(buf));
  if (t == null) loadError = path + ": addresses out of order";
  return t;
}
