// The kernel's symbol table for the profiler (kernel/prof/symbols.ts reads it from
// /boot/kernel.sym): every code symbol of the link map (lld-link -lldmap, which also lists
// static functions, unlike -map) with its image-relative address, and wasm2c's function names
// turned back into AssemblyScript names through the wasm name section (asc --debug and
// wasm-opt -g keep it; the code is the same byte for byte).
//
// wasm2c 1.0.32 names a function "w2c_" + the name with every character other than
// [A-Za-z0-9] (and a non-letter first character) replaced by "_": "~lib/rt/itcms/__new" ->
// w2c__lib_rt_itcms___new. Output: "HEX NAME" lines, ascending, then "end HEX" (end of .text).
import * as fs from "node:fs";

export interface MapSymbol { rva: number; name: string }

/** Code symbols of an lld-link -lldmap file: those inside the .text output section. */
export function lldmapSymbols(text: string): { symbols: MapSymbol[]; textEnd: number } {
  const symbols: MapSymbol[] = [];
  let inText = false, textEnd = 0;
  for (const line of text.split("\n")) {
    // "Address  Size     Align Out     In      Symbol": Out at column 24, In at 32, Symbol at 40
    const m = line.match(/^([0-9a-f]{8}) ([0-9a-f]{8}) +\d+ (.*)$/);
    if (!m) continue;
    const rest = m[3];
    const outSection = rest.match(/^(\.\S+)$/);
    if (outSection) {
      inText = outSection[1] === ".text";
      if (inText) textEnd = parseInt(m[1], 16) + parseInt(m[2], 16);
      continue;
    }
    if (!inText) continue;
    const name = rest.trim();
    if (!name || name.includes(":(")) continue; // an input section line ("file.obj:(.text)")
    symbols.push({ rva: parseInt(m[1], 16), name });
  }
  return { symbols, textEnd };
}

function leb(buf: Buffer, at: number): [number, number] {
  let v = 0, shift = 0, b: number;
  do {
    b = buf[at++];
    v += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [v, at];
}

/** Function names of a wasm module's "name" section (subsection 1), by function index. */
export function wasmFunctionNames(wasm: Buffer): Map<number, string> {
  const names = new Map<number, string>();
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at++];
    let size: number;
    [size, at] = leb(wasm, at);
    const end = at + size;
    if (id === 0) {
      let nameLen: number, p: number;
      [nameLen, p] = leb(wasm, at);
      const sectionName = wasm.subarray(p, p + nameLen).toString();
      p += nameLen;
      if (sectionName === "name") {
        while (p < end) {
          const sub = wasm[p++];
          let subSize: number;
          [subSize, p] = leb(wasm, p);
          const subEnd = p + subSize;
          if (sub === 1) {
            let count: number;
            [count, p] = leb(wasm, p);
            for (let i = 0; i < count; i++) {
              let index: number, len: number;
              [index, p] = leb(wasm, p);
              [len, p] = leb(wasm, p);
              names.set(index, wasm.subarray(p, p + len).toString());
              p += len;
            }
          }
          p = subEnd;
        }
      }
    }
    at = end;
  }
  return names;
}

/** wasm2c's C identifier for a wasm name (see the header comment). */
export function wasm2cName(name: string): string {
  if (!name) return "w2c__";
  let out = /[A-Za-z]/.test(name[0]) ? name[0] : "_";
  for (let i = 1; i < name.length; i++) out += /[A-Za-z0-9]/.test(name[i]) ? name[i] : "_";
  return "w2c_" + out;
}

/** The symbol file's text: map symbols named back to AssemblyScript, one name per address. */
export function symbolFile(map: { symbols: MapSymbol[]; textEnd: number }, wasmNames: Iterable<string>): string {
  const back = new Map<string, string>();
  for (const n of wasmNames) if (!back.has(wasm2cName(n))) back.set(wasm2cName(n), n);
  const byAddress = new Map<number, string>();
  for (const s of [...map.symbols].sort((a, b) => a.rva - b.rva)) {
    if (byAddress.has(s.rva)) continue; // the map repeats names and aliases: keep the first
    // exported wasm functions are Z_kernelZ_<name>, internal ones w2c_<name>
    const exported = s.name.match(/^Z_kernelZ_(.*)$/);
    byAddress.set(s.rva, back.get(s.name) ?? (exported ? exported[1] : s.name));
  }
  const lines = [...byAddress.entries()].sort((a, b) => a[0] - b[0]).map(([a, n]) => `${a.toString(16)} ${n}`);
  return lines.join("\n") + `\nend ${map.textEnd.toString(16)}\n`;
}

export function writeSymbolFile(lldmap: string, wasm: string, out: string): void {
  const map = lldmapSymbols(fs.readFileSync(lldmap, "utf8"));
  const names = wasmFunctionNames(fs.readFileSync(wasm));
  fs.writeFileSync(out, symbolFile(map, names.values()));
}
