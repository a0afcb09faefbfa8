// From raw samples to a profile: each record of prof.c's buffer ([n, pc, ret1..]) becomes a
// stack of function names, root first; equal stacks are counted together (the "folded"
// format flame-graph tools read: "root;caller;leaf COUNT"), and every function gets a self
// count (it was the leaf) and a total count (it was anywhere on the stack, once per sample).
import { SymbolTable } from "./symbols";

export class FunctionCount {
  constructor(public name: string, public self: i32, public total: i32) {}
}

export class Profile {
  samples: i32 = 0;
  /** folded stack -> samples, in first-seen order */
  stackKeys: Array<string> = new Array<string>(0);
  stackCounts: Map<string, i32> = new Map<string, i32>();
  private selfCounts: Map<string, i32> = new Map<string, i32>();
  private totalCounts: Map<string, i32> = new Map<string, i32>();
  functionNames: Array<string> = new Array<string>(0);

  /** Adds one sample: frames[0] is the interrupted function, the last one the outermost caller. */
  add(frames: Array<string>): void {
    this.samples++;
    let key = "";
    for (let i = frames.length - 1; i >= 0; i--) {
      const f = frames[i];
      // recursion repeats a name: collapse consecutive repeats of the same function
      if (i < frames.length - 1 && f == frames[i + 1]) continue;
      key = key.length == 0 ? f : key + ";" + f;
    }
    if (this.stackCounts.has(key)) this.stackCounts.set(key, this.stackCounts.get(key) + 1);
    else { this.stackCounts.set(key, 1); this.stackKeys.push(key); }
    if (frames.length == 0) return;
    this.bump(this.selfCounts, frames[0]);
    const seen = new Set<string>();
    for (let i = 0; i < frames.length; i++) {
      if (seen.has(frames[i])) continue;
      seen.add(frames[i]);
      this.bump(this.totalCounts, frames[i]);
    }
  }

  private bump(m: Map<string, i32>, name: string): void {
    if (m.has(name)) { m.set(name, m.get(name) + 1); return; }
    if (!this.totalCounts.has(name) && !this.selfCounts.has(name)) this.functionNames.push(name);
    m.set(name, 1);
  }

  selfOf(name: string): i32 { return this.selfCounts.has(name) ? this.selfCounts.get(name) : 0; }
  totalOf(name: string): i32 { return this.totalCounts.has(name) ? this.totalCounts.get(name) : 0; }

  /** Functions by self count (then total), at most n. */
  top(n: i32): Array<FunctionCount> {
    const all = new Array<FunctionCount>(0);
    for (let i = 0; i < this.functionNames.length; i++) {
      const name = this.functionNames[i];
      all.push(new FunctionCount(name, this.selfOf(name), this.totalOf(name)));
    }
    all.sort((a: FunctionCount, b: FunctionCount): i32 => a.self != b.self ? b.self - a.self : b.total - a.total);
    return all.length > n ? all.slice(0, n) : all;
  }

  /** The folded-stack text: one "stack count" line per distinct stack. */
  folded(): string {
    const parts = new Array<string>(0);
    for (let i = 0; i < this.stackKeys.length; i++) {
      const k = this.stackKeys[i];
      parts.push(k + " " + this.stackCounts.get(k).toString());
    }
    return parts.length == 0 ? "" : parts.join("\n") + "\n";
  }
}

/**
 * Decodes records ([n, pc, ret1..ret(n-1)]) from `words`, naming addresses with `symbols`
 * (hex addresses when null). A truncated last record is ignored.
 */
export function buildProfile(words: Uint32Array, symbols: SymbolTable | null): Profile {
  const usedWords = <u32>words.length;
  const p = new Profile();
  const names = new Map<u32, string>();
  let at: u32 = 0;
  while (at < usedWords) {
    const n = words[at];
    if (n == 0 || at + 1 + n > usedWords) break;
    const frames = new Array<string>(0);
    for (let k: u32 = 0; k < n; k++) {
      const rva = words[at + 1 + k];
      let name: string;
      if (names.has(rva)) name = names.get(rva);
      else {
        name = symbols != null ? symbols.lookup(rva) : (rva == 0xffffffff ? "[user]" : "0x" + rva.toString(16));
        names.set(rva, name);
      }
      frames.push(name);
    }
    p.add(frames);
    at += 1 + n;
  }
  return p;
}
