// llmctl: the in-kernel language model from the shell (kernel/llm/): load a llama2.c
// checkpoint or safetensors file (and a tokenizer.bin), show what is loaded, generate text
// as it is sampled (Ctrl-C stops), unload (frees every page).
import { registerFamily, registerSubcommand } from "../families";
import { Options, parseDecimal, noArgs } from "../args";
import { println, print, printError, writeBytes } from "../../platform/console";
import { checkpoint } from "../../sched/checkpoint";
import { fixed } from "../../lib/format";
import { VfsFileReader, FileReader } from "../../fs/file_reader";
import { loadModel, unloadModel, loadedModel, modelMemoryBytes, LoadedModel } from "../../llm/engine";
import { Generation } from "../../llm/generate";
import { BOS } from "../../llm/tokenizer";
import { ModelConfig } from "../../llm/config";

function quantization(c: ModelConfig): string {
  return c.groupSize > 0 ? "int8 Q8_0, groups of " + c.groupSize.toString() : "none (f32)";
}

const USAGE = "llmctl load CHECKPOINT [--tokenizer FILE] | status [--json] |\n" +
  "       generate [PROMPT] [--tokens N] [--temp T] [--topp P] [--seed S] [--json] | unload\n" +
  "  load      read a llama2.c checkpoint (legacy f32, run.c's format, or int8 Q8_0 export\n" +
  "            version 2, runq.c's format) or a safetensors file\n" +
  "            (F32/F16/BF16, llama2.c tensor names, n_heads and seq_len in __metadata__)\n" +
  "            into pages; --tokenizer reads a llama2.c tokenizer.bin for text in and out.\n" +
  "            A model that does not fit in free memory is refused before anything is taken;\n" +
  "            a failed load leaves the previous model loaded.\n" +
  "  status    shape, parameters, file bytes, memory in use, format, last speed\n" +
  "  generate  encode PROMPT (BOS first), run it in batches, then sample and print tokens as\n" +
  "            they come. --tokens N (default 64), --temp T (default 0 = greedy), --topp P\n" +
  "            (default 0.9, used when T > 0), --seed S (default 1). Stops at N tokens, the\n" +
  "            end of the context or a sampled BOS; Ctrl-C stops it. The last line is\n" +
  "            'N tokens in X ms (Y tok/s); prompt M tokens in Z ms'. --json prints one JSON\n" +
  "            object (token ids, text, times) instead.\n" +
  "  unload    free the model's pages\n" +
  "  infer, auto-execute, eval: questions about the live system to the domain model\n" +
  "            (llmctl infer --help; kernel/shell/commands/llmctl_infer.ts)\n" +
  "LoRA (kernel/llm/lora): finetune, finetune-status, finetune-cancel, adapter, eval --adapter\n" +
  "  ('llmctl finetune --help' and so on).";

registerFamily("llmctl", "in-kernel language model: load, status, generate, unload", USAGE);
registerSubcommand("llmctl", "load", "read a checkpoint (and a tokenizer) into pages",
  "llmctl load CHECKPOINT [--tokenizer FILE]", load);
registerSubcommand("llmctl", "status", "shape, parameters, memory in use, last speed",
  "llmctl status [--json]", status);
registerSubcommand("llmctl", "generate", "sample text from the loaded model (Ctrl-C stops)",
  "llmctl generate [PROMPT] [--tokens N] [--temp T] [--topp P] [--seed S] [--json]", generate);
registerSubcommand("llmctl", "unload", "free the model's pages", "llmctl unload", unload);

function unload(args: Array<string>): i32 {
  if (!noArgs("llmctl unload", args)) return 1;
  if (!unloadModel()) { printError("no model is loaded"); return 1; }
  println("unloaded");
  return 0;
}

function load(args: Array<string>): i32 {
  const o = new Options(args, ["--tokenizer"], []);
  if (!o.ok) { printError(o.error); return 1; }
  if (o.positionals.length != 1) { printError("usage: llmctl load CHECKPOINT [--tokenizer FILE]"); return 1; }
  const path = o.positionals[0];
  const r = VfsFileReader.open(path);
  if (r == null) { printError(VfsFileReader.error); return 1; }
  let tr: FileReader | null = null;
  const tokPath = o.value("--tokenizer");
  if (o.hasValue("--tokenizer")) {
    tr = VfsFileReader.open(tokPath);
    if (tr == null) { r.close(); printError(VfsFileReader.error); return 1; }
  }
  println("loading " + path + (tr != null ? " with " + tokPath : "") + " ...");
  const e = loadModel(r, path, tr, tokPath);
  r.close();
  if (tr != null) tr.close();
  if (e.length > 0) { printError(e); return 1; }
  const lm = loadedModel()!;
  println("loaded " + lm.model.config.describe() + "; " + lm.model.config.parameters().toString() + " parameters, " +
    mib(modelMemoryBytes(lm)) + " of pages, in " + fixed(<f64>lm.loadUs / 1000, 1) + " ms");
  return 0;
}

function mib(b: u64): string { return fixed(<f64>b / 1048576.0, 1) + " MiB"; }

function rate(tokens: i32, us: u64): f64 { return us == 0 ? 0 : <f64>tokens * 1e6 / <f64>us; }

function status(args: Array<string>): i32 {
  const o = new Options(args, [], ["--json"]);
  if (!o.ok) { printError(o.error); return 1; }
  if (o.positionals.length > 0) { printError("usage: llmctl status [--json]"); return 1; }
  const lm = loadedModel();
  if (lm == null) {
    if (o.has("--json")) println("{\"loaded\":false}");
    else println("no model loaded");
    return 0;
  }
  const c = lm.model.config;
  if (o.has("--json")) {
    println("{\"loaded\":true,\"path\":\"" + esc(lm.path) + "\",\"tokenizer\":\"" + esc(lm.tokenizerPath) + "\",\"format\":\"" + esc(lm.format) +
      "\",\"dim\":" + c.dim.toString() + ",\"hidden_dim\":" + c.hidden.toString() + ",\"n_layers\":" + c.layers.toString() +
      ",\"n_heads\":" + c.heads.toString() + ",\"n_kv_heads\":" + c.kvHeads.toString() + ",\"vocab_size\":" + c.vocab.toString() +
      ",\"seq_len\":" + c.seqLen.toString() + ",\"shared_classifier\":" + (c.shared ? "true" : "false") +
      ",\"parameters\":" + c.parameters().toString() + ",\"file_bytes\":" + lm.fileBytes.toString() +
      ",\"memory_bytes\":" + modelMemoryBytes(lm).toString() + ",\"quantization\":\"" + quantization(c) + "\"" +
      ",\"last_tokens\":" + lm.lastTokens.toString() + ",\"last_decode_us\":" + lm.lastDecodeUs.toString() +
      ",\"last_prompt_tokens\":" + lm.lastPromptTokens.toString() + ",\"last_prompt_us\":" + lm.lastPromptUs.toString() + "}");
    return 0;
  }
  println("model:        " + lm.path + " (" + lm.format + ")");
  println("tokenizer:    " + (lm.tokenizer != null ? lm.tokenizerPath : "none (token ids only)"));
  println("shape:        " + c.describe());
  println("parameters:   " + c.parameters().toString() + " (" + lm.fileBytes.toString() + " file bytes)");
  println("memory:       " + mib(modelMemoryBytes(lm)) + " of pages (weights, KV cache, scratch)");
  println("quantization: " + quantization(c));
  if (lm.lastTokens > 0 || lm.lastPromptTokens > 0) {
    println("last run:     " + lm.lastTokens.toString() + " tokens at " + fixed(rate(lm.lastTokens, lm.lastDecodeUs), 1) +
      " tok/s; prompt " + lm.lastPromptTokens.toString() + " tokens at " + fixed(rate(lm.lastPromptTokens, lm.lastPromptUs), 1) + " tok/s");
  }
  return 0;
}

function esc(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 34 || c == 92) out += "\\" + String.fromCharCode(c);
    else if (c < 32) out += "\\u00" + (c < 16 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out;
}

/** Writes model output bytes, "\n" as "\r\n" for the terminal. */
function writeText(b: Uint8Array): void {
  const p = b.dataStart;
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] == 10) {
      if (i > start) writeBytes(p + <usize>start, i - start);
      print("\r\n");
      start = i + 1;
    }
  }
  if (b.length > start) writeBytes(p + <usize>start, b.length - start);
}

function generate(args: Array<string>): i32 {
  const o = new Options(args, ["--tokens", "--temp", "--topp", "--seed"], ["--json"]);
  if (!o.ok) { printError(o.error); return 1; }
  const lm = loadedModel();
  if (lm == null) { printError("no model loaded (llmctl load CHECKPOINT --tokenizer FILE)"); return 1; }
  const tokens = o.integer("--tokens", 64, 1, 1 << 20);
  if (tokens < 0) return 1;
  const seed = o.integer("--seed", 1, 0, i64.MAX_VALUE);
  if (seed < 0) return 1;
  const temp = parseDecimal(o.value("--temp", "0"));
  if (isNaN(temp) || temp < 0 || temp > 100) { printError("--temp must be a number from 0 to 100"); return 1; }
  const topp = parseDecimal(o.value("--topp", "0.9"));
  if (isNaN(topp) || topp < 0 || topp > 1) { printError("--topp must be a number from 0 to 1"); return 1; }
  const text = o.positionals.join(" ");
  const json = o.has("--json");
  let prompt: Array<i32>;
  const tk = lm.tokenizer;
  if (tk != null) prompt = tk.encode(text, true);
  else {
    if (text.length > 0) { printError("this model has no tokenizer: load it with --tokenizer FILE to give a prompt"); return 1; }
    prompt = [BOS];
  }
  const g = new Generation(lm, prompt, <i32>tokens, <f32>temp, <f32>topp, <u64>seed);
  if (!g.start()) { printError(g.error); g.release(); return 1; }
  let interrupted = false;
  while (true) {
    // the kernel's periodic work runs between tokens, and Ctrl-C stops the generation
    if (checkpoint()) { interrupted = true; break; }
    const prev = g.previous;
    const t = g.step();
    if (t < 0) break;
    g.previous = t;
    if (json) continue;
    if (tk != null) writeText(tk.decode(prev, t));
    else print(t.toString() + " ");
  }
  g.finish();
  g.release();
  const n = g.generated.length;
  if (json) {
    let ids = "";
    for (let i = 0; i < n; i++) ids += (i > 0 ? "," : "") + g.generated[i].toString();
    let pids = "";
    for (let i = 0; i < prompt.length; i++) pids += (i > 0 ? "," : "") + prompt[i].toString();
    println("{\"prompt_tokens\":[" + pids + "],\"tokens\":[" + ids + "],\"decode_us\":" + g.decodeUs.toString() +
      ",\"prompt_us\":" + g.promptUs.toString() + ",\"interrupted\":" + (interrupted ? "true" : "false") + "}");
    return 0;
  }
  println("");
  if (interrupted) println("(interrupted)");
  println(n.toString() + " tokens in " + fixed(<f64>g.decodeUs / 1000, 1) + " ms (" + fixed(rate(n, g.decodeUs), 1) +
    " tok/s); prompt " + prompt.length.toString() + " tokens in " + fixed(<f64>g.promptUs / 1000, 1) + " ms");
  return 0;
}
