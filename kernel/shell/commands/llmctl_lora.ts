// llmctl finetune / finetune-status / finetune-cancel / adapter / eval: LoRA fine-tuning of
// the loaded model inside the kernel (kernel/llm/lora/). The fine-tune runs as a background
// kernel task; adapters are safetensors files in /models; the active adapter is applied to
// the loaded model's weights, so generate (and infer) use it.
import { registerSubcommand, registerSubcommandWhen } from "../families";
import { Options } from "../args";
import { println, printError } from "../../platform/console";
import { fixed } from "../../lib/format";
import { VfsFileReader, FileReader } from "../../fs/file_reader";
import * as vfs from "../../fs/vfs";
import { loadedModel, LoadedModel } from "../../llm/engine";
import { spawnTask, killTask } from "../../sched/scheduler";
import { pollOnce } from "../../sched/wait";
import { enterNestedLoop, leaveNestedLoop } from "../../sched/announce";
import { parseTargets, targetsString, MAX_RANK } from "../../llm/lora/adapter";
import { parseDataset, Dataset, MAX_TRAIN_TOKENS, MAX_DATA_BYTES } from "../../llm/lora/dataset";
import { FinetuneJob, FinetuneOptions, JOB_RUNNING, JOB_DONE, JOB_CANCELLED } from "../../llm/lora/finetune";
import { FinetuneTask, summaryLine } from "../../llm/lora/finetune_task";
import { readAdapter, AdapterMeta } from "../../llm/lora/adapter_file";
import { activeAdapter, activate, deactivate, mergeActive, mergedAdapterName } from "../../llm/lora/active";
import { modelSha256, knownModelSha256 } from "../../llm/lora/identity";
import { evaluate, EvalResult } from "../../llm/lora/evaluate";
import { saveMergedCheckpoint } from "../../llm/lora/merged_file";

export const ADAPTER_DIR = "/models/";

/** The last fine-tune started (running or finished), for status and cancel. */
let current: FinetuneTask | null = null;

const FINETUNE_USAGE = "llmctl finetune DATA NAME [--epochs N] [--lr X] [--rank R] [--alpha A] [--targets wq,wv,...] [--seed S] [--wait]\n" +
  "  LoRA fine-tune of the loaded model on DATA ({\"examples\": [{\"prompt\": ..., \"completion\": ...}]}) as a\n" +
  "  background task: W' = W + (alpha/rank) B A on each targeted projection of every layer (wq wk wv wo\n" +
  "  w1 w2 w3; default wq,wv), base frozen, A seeded random, B zero, cross-entropy on the completion\n" +
  "  tokens only, Adam. Defaults: --epochs 3 --lr 0.003 --rank 8 --alpha 16 --seed 1. Saves\n" +
  "  /models/NAME.safetensors atomically when done; --wait blocks (Ctrl-C cancels) and prints\n" +
  "  'finetune NAME: N examples, E epochs in X s, loss A -> B'.";

registerSubcommand("llmctl", "finetune", "LoRA fine-tune of the loaded model (background task)", FINETUNE_USAGE, finetune);
registerSubcommand("llmctl", "finetune-status", "epoch, step, losses, tokens/s, time left of the fine-tune",
  "llmctl finetune-status [--json]", finetuneStatus);
registerSubcommand("llmctl", "finetune-cancel", "stop the running fine-tune (nothing is saved)", "llmctl finetune-cancel", finetuneCancel);
registerSubcommand("llmctl", "adapter", "LoRA adapters: load NAME | unload | list | merge [--out FILE]",
  "llmctl adapter load NAME|FILE | unload | list [--json] | merge [--out FILE]\n" +
  "  load    read /models/NAME.safetensors (or FILE), check it was made for the loaded model (SHA-256)\n" +
  "          and apply it: generate and infer then use W + (alpha/rank) B A\n" +
  "  unload  restore the base weights exactly\n" +
  "  list    adapters in /models with rank, targets, final loss, and which is active\n" +
  "  merge   keep the active adapter in the loaded model's weights and save them as a llama2.c checkpoint\n" +
  "          (atomically; default /models/NAME-merged.bin, --out FILE) that llmctl load reads", adapter);
registerSubcommandWhen("llmctl", "eval", "--adapter", "held-out accuracy of the base model and with an adapter",
  "llmctl eval --adapter NAME [--data FILE] [--base FILE] [--json]\n" +
  "  Greedy answers of the base model, then with the adapter, on FILE (default /models/finetune-test.json,\n" +
  "  held out from training) and on the base task's own held-out questions (--base, default\n" +
  "  /models/finetune-base.json when it exists). Prints 'base: k/n (P%)', 'adapted: k/n (P%)' and the base task's\n" +
  "  'base task: base k/n (P%), adapted k/n (P%)'. An answer is correct when it equals the completion\n" +
  "  (or contains the example's \"expect\" text).", evalCommand);

function validName(n: string): bool {
  if (n.length == 0 || n.length > 64) return false;
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95)) return false;
  }
  return true;
}

function readWhole(path: string, limit: i32): Uint8Array | null {
  const r = VfsFileReader.open(path);
  if (r == null) { printError(VfsFileReader.error); return null; }
  const size = r.size();
  if (size > <u64>limit) { r.close(); printError(path + ": " + size.toString() + " bytes, more than the " + limit.toString() + "-byte limit"); return null; }
  const buf = new Uint8Array(<i32>size);
  const ok = size == 0 || r.readFully(0, buf.dataStart, size);
  r.close();
  if (!ok) { printError(path + ": read failed"); return null; }
  return buf;
}

/** The loaded model with a tokenizer, or null after printing why not. */
function modelForLora(): LoadedModel | null {
  const lm = loadedModel();
  if (lm == null) { printError("no model is loaded (llmctl load CHECKPOINT --tokenizer FILE)"); return null; }
  if (lm.tokenizer == null) { printError("the loaded model has no tokenizer (load it with --tokenizer FILE)"); return null; }
  // LoRA reads and patches the weights as f32 matrices (lora/active.ts, lora/train.ts)
  if (lm.model.config.groupSize > 0) { printError("LoRA needs an f32 model; the loaded one has int8 weights"); return null; }
  return lm;
}

/** SHA-256 of the loaded model's file (cached per load). */
function baseSha(lm: LoadedModel): string {
  const known = knownModelSha256(lm);
  if (known.length > 0) return known;
  const r = VfsFileReader.open(lm.path);
  if (r == null) return "";
  const s = modelSha256(lm, r);
  r.close();
  return s;
}

function loadDataset(path: string, lm: LoadedModel): Dataset | null {
  const bytes = readWhole(path, MAX_DATA_BYTES);
  if (bytes == null) return null;
  const limit = lm.model.config.seqLen < MAX_TRAIN_TOKENS ? lm.model.config.seqLen : MAX_TRAIN_TOKENS;
  const d = parseDataset(bytes.dataStart, bytes.length, lm.tokenizer!, limit);
  if (d.error.length > 0) { printError(path + ": " + d.error); return null; }
  return d;
}

function finetune(args: Array<string>): i32 {
  const o = new Options(args, ["--epochs", "--lr", "--rank", "--alpha", "--targets", "--seed"], ["--wait"]);
  if (!o.ok) { printError(o.error); return 1; }
  if (o.positionals.length != 2) { printError("usage: llmctl finetune DATA NAME [--epochs N] [--lr X] [--rank R] [--alpha A] [--targets wq,wv] [--seed S] [--wait]"); return 1; }
  const name = o.positionals[1];
  if (!validName(name)) { printError("adapter name '" + name + "': use 1-64 letters, digits, - or _"); return 1; }
  if (current != null && !current!.finished) { printError("a fine-tune is already running (llmctl finetune-status; finetune-cancel)"); return 1; }
  const opts = new FinetuneOptions();
  const epochs = I32.parseInt(o.value("--epochs", "3"));
  if (epochs < 1 || epochs > 1000) { printError("--epochs must be 1..1000"); return 1; }
  const lr = parseFloat(o.value("--lr", "0.003"));
  // no tight upper bound: a too-large rate is caught as a diverged loss (and nothing is saved)
  if (!isFinite(lr) || lr <= 0 || lr > 1e9) { printError("--lr must be a number in (0, 1e9]"); return 1; }
  const rank = I32.parseInt(o.value("--rank", "8"));
  if (rank < 1 || rank > MAX_RANK) { printError("--rank must be 1.." + MAX_RANK.toString()); return 1; }
  const alpha = parseFloat(o.value("--alpha", (rank * 2).toString()));
  if (!isFinite(alpha) || alpha <= 0 || alpha > 10000) { printError("--alpha must be a positive number"); return 1; }
  const targets = parseTargets(o.value("--targets", "wq,wv"));
  if (targets < 0) { printError("--targets: a comma list of wq, wk, wv, wo, w1, w2, w3"); return 1; }
  const seed = I64.parseInt(o.value("--seed", "1"));
  opts.epochs = epochs; opts.lr = <f32>lr; opts.rank = rank; opts.alpha = <f32>alpha; opts.targets = targets; opts.seed = <u64>seed;
  const lm = modelForLora();
  if (lm == null) return 1;
  if (activeAdapter() != null) { printError("adapter " + activeAdapter()!.name + " is active: 'llmctl adapter unload' first (training starts from the base weights)"); return 1; }
  if (mergedAdapterName().length > 0) { printError("the loaded model has adapter " + mergedAdapterName() + " merged in; reload the base model first"); return 1; }
  const d = loadDataset(o.positionals[0], lm);
  if (d == null) return 1;
  const sha = baseSha(lm);
  if (sha.length == 0) { printError(lm.path + ": cannot read the base model file to hash it"); return 1; }
  const job = new FinetuneJob(name, lm, d, opts, sha);
  if (job.error.length > 0) { printError("finetune " + name + ": " + job.error); return 1; }
  const t = new FinetuneTask(job, ADAPTER_DIR + name + ".safetensors");
  t.waited = o.has("--wait");
  const id = spawnTask(t);
  current = t;
  let note = "";
  if (d.truncated > 0) note += ", " + d.truncated.toString() + " cut to " + (d.longest).toString() + " tokens";
  if (d.dropped > 0) note += ", " + d.dropped.toString() + " dropped (prompt too long)";
  println("finetune " + name + ": task " + id.toString() + ", " + d.examples.length.toString() + " examples" + note + ", " +
    epochs.toString() + " epochs, rank " + rank.toString() + ", alpha " + fixed(alpha, 1) + ", targets " + targetsString(targets) +
    ", lr " + lr.toString() + ", seed " + seed.toString());
  if (!t.waited) { println("running in the background: llmctl finetune-status, llmctl finetune-cancel"); return 0; }
  enterNestedLoop();
  let lastEpoch = 0;
  while (!t.finished) {
    if (pollOnce()) { killTask(t.id); break; }
    if (job.epoch > lastEpoch && job.epoch < opts.epochs) {
      lastEpoch = job.epoch;
      println("  epoch " + job.epoch.toString() + "/" + opts.epochs.toString() + ": loss " + fixed(job.epochLosses[job.epoch - 1], 4));
    }
  }
  leaveNestedLoop();
  if (job.state == JOB_RUNNING || job.state == JOB_CANCELLED || !t.finished) { job.cancel(); printError("finetune " + name + ": interrupted; nothing saved"); return 130; }
  if (job.state != JOB_DONE) { printError(summaryLine(t)); return 1; }
  println(summaryLine(t));
  return 0;
}

function finetuneStatus(args: Array<string>): i32 {
  const o = new Options(args, [], ["--json"]);
  if (!o.ok || o.positionals.length > 0) { printError(o.ok ? "usage: llmctl finetune-status [--json]" : o.error); return 1; }
  const t = current;
  if (t == null) { if (o.has("--json")) println("{\"state\":\"none\"}"); else println("no fine-tune has run since boot"); return 0; }
  const j = t.job;
  const state = j.state == JOB_RUNNING ? "running" : j.state == JOB_DONE ? "done" : j.state == 2 ? "failed" : "cancelled";
  let losses = "";
  for (let i = 0; i < j.epochLosses.length; i++) losses += (i > 0 ? "," : "") + fixed(j.epochLosses[i], 4);
  if (o.has("--json")) {
    println("{\"name\":\"" + j.name + "\",\"state\":\"" + state + "\",\"epoch\":" + (j.epoch + (j.state == JOB_RUNNING ? 1 : 0)).toString() +
      ",\"epochs\":" + j.opts.epochs.toString() + ",\"step\":" + j.steps.toString() + ",\"steps\":" + j.totalSteps.toString() +
      ",\"loss\":" + fixed(j.lastLoss, 5) + ",\"epoch_losses\":[" + losses + "],\"tokens_per_s\":" + fixed(j.tokensPerSecond(), 1) +
      ",\"seconds_left\":" + fixed(j.secondsLeft(), 1) + ",\"train_s\":" + fixed(<f64>j.busyUs / 1e6, 3) +
      (j.error.length > 0 && j.state != JOB_DONE ? ",\"error\":\"" + j.error.replaceAll("\"", "'") + "\"" : "") + "}");
    return 0;
  }
  println("finetune " + j.name + ": " + state + ", epoch " + (j.epoch + (j.state == JOB_RUNNING ? 1 : 0)).toString() + "/" + j.opts.epochs.toString() +
    ", step " + j.steps.toString() + "/" + j.totalSteps.toString() + ", loss " + fixed(j.lastLoss, 4));
  println("  per-epoch loss: " + (losses.length > 0 ? losses : "(first epoch running)"));
  println("  " + fixed(j.tokensPerSecond(), 1) + " tokens/s, " + fixed(<f64>j.busyUs / 1e6, 2) + " s training, about " +
    fixed(j.secondsLeft(), 1) + " s left");
  if (j.state != JOB_RUNNING && j.state != JOB_DONE) println("  " + j.error);
  if (j.state == JOB_DONE) println("  " + summaryLine(t));
  return 0;
}

function finetuneCancel(args: Array<string>): i32 {
  if (args.length > 0) { printError("usage: llmctl finetune-cancel"); return 1; }
  const t = current;
  if (t == null || t.finished) { printError("no fine-tune is running"); return 1; }
  killTask(t.id);
  t.job.cancel();
  t.finished = true;
  println("finetune " + t.job.name + ": cancelled at step " + t.job.steps.toString() + "/" + t.job.totalSteps.toString() + "; nothing saved");
  return 0;
}

function adapterPath(arg: string): string {
  return arg.indexOf("/") >= 0 ? arg : ADAPTER_DIR + arg + ".safetensors";
}

function nameOf(path: string): string {
  let s = path.substring(path.lastIndexOf("/") + 1);
  if (s.endsWith(".safetensors")) s = s.substring(0, s.length - 12);
  return s;
}

/** Reads, checks and applies an adapter; "" or the reason. */
export function loadAdapterFile(lm: LoadedModel, path: string): string {
  if (lm.model.config.groupSize > 0) return path + ": LoRA needs an f32 model; the loaded one has int8 weights";
  const r = VfsFileReader.open(path);
  if (r == null) return VfsFileReader.error;
  const res = readAdapter(r, lm.model.config);
  r.close();
  if (res.error.length > 0) return path + ": " + res.error;
  const sha = baseSha(lm);
  if (res.meta.baseSha256 != sha) {
    res.adapter!.free();
    return path + ": made for another base model (SHA-256 " + res.meta.baseSha256.substring(0, 12) + "..., loaded " + lm.path + " is " + sha.substring(0, 12) + "...); refused";
  }
  activate(nameOf(path), path, lm, res.adapter!, res.meta);
  return "";
}

function adapter(args: Array<string>): i32 {
  if (args.length == 0) { printError("usage: llmctl adapter load NAME|FILE | unload | list [--json] | merge"); return 1; }
  const sub = args[0];
  if (sub == "load") {
    if (args.length != 2) { printError("usage: llmctl adapter load NAME|FILE"); return 1; }
    const lm = modelForLora();
    if (lm == null) return 1;
    if (mergedAdapterName().length > 0) { printError("the loaded model has adapter " + mergedAdapterName() + " merged in; reload the base model first"); return 1; }
    if (current != null && !current!.finished) { printError("a fine-tune is running on the base weights; wait or cancel it first"); return 1; }
    const e = loadAdapterFile(lm, adapterPath(args[1]));
    if (e.length > 0) { printError(e); return 1; }
    const a = activeAdapter()!;
    println("adapter " + a.name + " active: rank " + a.adapter.rank.toString() + ", alpha " + fixed(a.adapter.alpha, 1) + ", targets " +
      targetsString(a.adapter.targets) + ", " + a.adapter.count.toString() + " parameters; generate uses it");
    return 0;
  }
  if (sub == "unload") {
    if (args.length != 1) { printError("usage: llmctl adapter unload"); return 1; }
    const a = activeAdapter();
    if (a == null) { printError("no adapter is active"); return 1; }
    if (current != null && !current!.finished) { printError("a fine-tune is running on these weights; wait or cancel it first"); return 1; }
    const n = a.name;
    deactivate();
    println("adapter " + n + " unloaded; base weights restored");
    return 0;
  }
  if (sub == "merge") {
    const o = new Options(args.slice(1), ["--out"], []);
    if (!o.ok || o.positionals.length > 0) { printError("usage: llmctl adapter merge [--out FILE]"); return 1; }
    const a = activeAdapter();
    if (a == null) { printError("no adapter is active"); return 1; }
    if (current != null && !current!.finished) { printError("a fine-tune is running on these weights; wait or cancel it first"); return 1; }
    const n = a.name;
    // the merged checkpoint first: if it cannot be written nothing changes (the adapter stays active)
    const out = o.value("--out", ADAPTER_DIR + n + "-merged.bin");
    const e = saveMergedCheckpoint(a.lm.model, out);
    if (e.length > 0) { printError(e); return 1; }
    mergeActive();
    println("adapter " + n + " merged into the loaded model's weights; saved " + out + " (llmctl load " + out + " gives this model)");
    return 0;
  }
  if (sub == "list") {
    const json = args.length == 2 && args[1] == "--json";
    if (args.length > 2 || (args.length == 2 && !json)) { printError("usage: llmctl adapter list [--json]"); return 1; }
    return listAdapters(json);
  }
  printError("llmctl adapter: unknown subcommand '" + sub + "' (load, unload, list or merge)");
  return 1;
}

function listAdapters(json: bool): i32 {
  const entries = vfs.listDirectory(ADAPTER_DIR);
  if (entries == null) { printError(ADAPTER_DIR + ": cannot list"); return 1; }
  const act = activeAdapter();
  const lm = loadedModel();
  let out = "[";
  let n = 0;
  for (let i = 0; i < entries.length; i++) {
    const name = entries[i].name;
    if (!name.endsWith(".safetensors")) continue;
    const path = ADAPTER_DIR + name;
    const r = VfsFileReader.open(path);
    if (r == null) continue;
    let meta: AdapterMeta | null = null;
    let why = "";
    let count = 0;
    if (lm != null) {
      const res = readAdapter(r, lm.model.config);
      if (res.error.length == 0) { meta = res.meta; count = res.adapter!.count; res.adapter!.free(); } else why = res.error;
    } else why = "no model loaded to check it against";
    const size = r.size();
    r.close();
    if (lm != null && why.indexOf("no __metadata__") >= 0) continue; // a model, not an adapter
    const isActive = act != null && act.path == path;
    if (json) {
      out += (n > 0 ? "," : "") + "{\"name\":\"" + nameOf(path) + "\",\"bytes\":" + size.toString() + ",\"active\":" + (isActive ? "true" : "false");
      if (meta != null) out += ",\"rank\":" + meta.rank.toString() + ",\"alpha\":" + fixed(meta.alpha, 2) + ",\"targets\":\"" + targetsString(meta.targets) +
        "\",\"final_loss\":" + fixed(meta.finalLoss, 4) + ",\"parameters\":" + count.toString();
      else out += ",\"error\":\"" + why.replaceAll("\"", "'") + "\"";
      out += "}";
    } else {
      println((isActive ? "* " : "  ") + nameOf(path) + "  " + size.toString() + " bytes" + (meta != null ? "  rank " + meta.rank.toString() +
        ", targets " + targetsString(meta.targets) + ", " + meta.examples.toString() + " examples x " + meta.epochs.toString() + " epochs, final loss " + fixed(meta.finalLoss, 4) : "  (" + why + ")"));
    }
    n++;
  }
  if (json) println(out + "]");
  else if (n == 0) println("no adapters in " + ADAPTER_DIR);
  return 0;
}

function line(label: string, r: EvalResult): string {
  return label + r.correct.toString() + "/" + r.total.toString() + " (" + fixed(r.percent(), 1) + "%)";
}

function evalCommand(args: Array<string>): i32 {
  const o = new Options(args, ["--adapter", "--data", "--base"], ["--json"]);
  if (!o.ok) { printError(o.error); return 1; }
  if (o.positionals.length > 0 || !o.hasValue("--adapter")) { printError("usage: llmctl eval --adapter NAME [--data FILE] [--base FILE] [--json]"); return 1; }
  const lm = modelForLora();
  if (lm == null) return 1;
  if (current != null && !current!.finished) { printError("a fine-tune is running; wait or cancel it first"); return 1; }
  const test = loadDataset(o.value("--data", ADAPTER_DIR + "finetune-test.json"), lm);
  if (test == null) return 1;
  let basePath = o.value("--base", "");
  if (!o.hasValue("--base")) {
    const r = VfsFileReader.open(ADAPTER_DIR + "finetune-base.json");
    if (r != null) { r.close(); basePath = ADAPTER_DIR + "finetune-base.json"; }
  }
  let baseSet: Dataset | null = null;
  if (basePath.length > 0) { baseSet = loadDataset(basePath, lm); if (baseSet == null) return 1; }
  const before = activeAdapter();
  const beforePath = before != null ? before.path : "";
  deactivate();
  const b = evaluate(lm, test);
  const bb = baseSet != null && !b.interrupted ? evaluate(lm, baseSet!) : new EvalResult();
  const e = loadAdapterFile(lm, adapterPath(o.value("--adapter")));
  if (e.length > 0) { printError(e); restore(lm, beforePath); return 1; }
  const a = b.interrupted ? new EvalResult() : evaluate(lm, test);
  const ab = baseSet != null && !a.interrupted && !b.interrupted ? evaluate(lm, baseSet!) : new EvalResult();
  deactivate();
  restore(lm, beforePath);
  if (b.interrupted || a.interrupted || bb.interrupted || ab.interrupted) { printError("llmctl eval: interrupted"); return 130; }
  if (o.has("--json")) {
    println("{\"adapter\":\"" + o.value("--adapter") + "\",\"base\":{\"correct\":" + b.correct.toString() + ",\"total\":" + b.total.toString() +
      "},\"adapted\":{\"correct\":" + a.correct.toString() + ",\"total\":" + a.total.toString() + ",\"answers\":" + jsonStrings(a.answers) + "}" +
      (baseSet != null ? ",\"base_task\":{\"base\":" + bb.correct.toString() + ",\"adapted\":" + ab.correct.toString() + ",\"total\":" + bb.total.toString() +
        ",\"base_answers\":" + jsonStrings(bb.answers) + ",\"adapted_answers\":" + jsonStrings(ab.answers) + "}" : "") + "}");
    return 0;
  }
  println(line("base: ", b));
  println(line("adapted: ", a));
  if (baseSet != null) println(line("base task: base ", bb) + ", " + line("adapted ", ab));
  else println("base task: no held-out set (" + ADAPTER_DIR + "finetune-base.json or --base FILE)");
  return 0;
}

function restore(lm: LoadedModel, path: string): void {
  if (path.length == 0) return;
  const e = loadAdapterFile(lm, path);
  if (e.length > 0) printError("could not re-apply the adapter active before: " + e);
}

function jsonStrings(a: Array<string>): string {
  let s = "[";
  for (let i = 0; i < a.length; i++) {
    let t = "";
    const x = a[i];
    for (let j = 0; j < x.length; j++) {
      const c = x.charCodeAt(j);
      if (c == 34 || c == 92) t += "\\" + String.fromCharCode(c);
      else if (c < 32) t += "\\u00" + (c < 16 ? "0" : "") + c.toString(16);
      else t += String.fromCharCode(c);
    }
    s += (i > 0 ? "," : "") + "\"" + t + "\"";
  }
  return s + "]";
}
