// Test entry for kernel/llm on Node: the engine over the kernel's page allocator (a 160 MiB
// page-frame window), files handed in as bytes in linear memory, and the llmctl shell command.
import { initMemory, freePagesNow } from "../../../kernel/mm/pages";
import { allocContiguousPages, freeContiguousPages, contiguousFootprintPages } from "../../../kernel/mm/contiguous";
import { MemoryFileReader, FileReader } from "../../../kernel/fs/file_reader";
import { loadModel, unloadModel, loadedModel, modelMemoryBytes } from "../../../kernel/llm/engine";
import { Generation } from "../../../kernel/llm/generate";
import { BATCH } from "../../../kernel/llm/config";
import { consoleShell } from "../../../kernel/shell/shell";
import "../../../kernel/shell/commands/help";
import "../../../kernel/shell/commands/llmctl";

export function memInit(): void { initMemory(); }
export function memFreePages(): u32 { return freePagesNow(); }
export function contigAlloc(n: u32): u32 { return <u32>allocContiguousPages(n); }
export function contigFree(addr: u32, n: u32): i32 { return freeContiguousPages(addr, n); }
export function contigFootprint(n: u32): u32 { return contiguousFootprintPages(n); }

/** Host bytes go here (AssemblyScript heap; not the page window). */
export function hostAlloc(n: u32): u32 { return <u32>heap.alloc(n); }
export function hostFree(p: u32): void { heap.free(p); }

export function load(ckpt: u32, ckptLen: u32, tok: u32, tokLen: u32): string {
  const r = new MemoryFileReader(ckpt, ckptLen);
  const tr: FileReader | null = tok != 0 ? new MemoryFileReader(tok, tokLen) : null;
  return loadModel(r, "model", tr, "tokenizer");
}
export function unload(): bool { return unloadModel(); }
export function loaded(): bool { return loadedModel() != null; }
export function modelBytes(): u32 { const lm = loadedModel(); return lm == null ? 0 : <u32>modelMemoryBytes(lm); }
export function batchSize(): i32 { return <i32>BATCH; }

/** Runs `count` tokens from `tokens` at positions pos..; returns the logits' address. */
export function forward(tokens: u32, count: i32, pos: i32): u32 {
  const m = loadedModel()!.model;
  m.forward(tokens, count, pos);
  return <u32>m.logits;
}
export function vocab(): i32 { return loadedModel()!.model.config.vocab; }

function csv(a: Array<i32>): string {
  let s = "";
  for (let i = 0; i < a.length; i++) s += (i > 0 ? "," : "") + a[i].toString();
  return s;
}
function parseCsv(s: string): Array<i32> {
  const out = new Array<i32>();
  if (s.length == 0) return out;
  const parts = s.split(",");
  for (let i = 0; i < parts.length; i++) out.push(I32.parseInt(parts[i]));
  return out;
}

export function encode(text: string, bos: bool): string {
  return csv(loadedModel()!.tokenizer!.encode(text, bos));
}
/** Bytes of token after previous, as hex. */
export function decodeHex(previous: i32, token: i32): string {
  const b = loadedModel()!.tokenizer!.decode(previous, token);
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
  return s;
}

export let lastPromptUs: u64 = 0;
export let lastDecodeUs: u64 = 0;
/** Generates from prompt token ids (csv); returns the generated ids (csv) or "error: ...". */
export function generateIds(prompt: string, maxTokens: i32, temperature: f32, topp: f32, seed: u64): string {
  const g = new Generation(loadedModel()!, parseCsv(prompt), maxTokens, temperature, topp, seed);
  if (!g.start()) return "error: " + g.error;
  while (g.step() >= 0) {}
  g.finish();
  g.release();
  lastPromptUs = g.promptUs;
  lastDecodeUs = g.decodeUs;
  return csv(g.generated);
}
export function promptMicros(): u64 { return lastPromptUs; }
export function decodeMicros(): u64 { return lastDecodeUs; }

export function shellRun(line: string): i32 { return consoleShell.execute(line); }

/** A file of `claimed` bytes of which only the first `length` exist (the rest read as errors). */
class ClaimedSizeReader extends FileReader {
  constructor(public base: usize, public length: u64, public claimed: u64) { super(); }
  size(): u64 { return this.claimed; }
  readAt(offset: u64, dst: usize, length: u32): i64 {
    if (offset + <u64>length > this.length) return -5;
    memory.copy(dst, this.base + <usize>offset, length);
    return <i64>length;
  }
}
export function loadClaimed(ckpt: u32, ckptLen: u32, claimed: u64): string {
  return loadModel(new ClaimedSizeReader(ckpt, ckptLen, claimed), "model", null, "");
}
