// `llmctl finetune`, `adapter`, `eval` on Node over a tmpfs root: a real fine-tune as a
// kernel task (--wait), the adapter file read back by an independent reader (TypeScript here,
// plain-Python struct+json in tests/host/read_adapter.py), the adapter changing generation and
// raising accuracy, and every bad input of issue 15 giving one line and leaving no file.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { KernelModule } from "../../host/compile.ts";
import { loadKernelModule } from "../../host/compile.ts";
import { Shape, randomWeights, checkpointBytes, q8CheckpointBytes, makeTokenizer } from "../../../host/llm-models.ts";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Independent reader of the safetensors layout (8-byte length, JSON header, data). */
export function readSafetensors(b: Buffer) {
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString("utf8"));
  const data = b.subarray(8 + n);
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, t] of Object.entries<any>(header)) {
    if (name === "__metadata__") continue;
    assert.equal(t.dtype, "F32");
    const [s, e] = t.data_offsets;
    assert.equal(e - s, 4 * t.shape.reduce((a: number, x: number) => a * x, 1));
    const copy = Buffer.from(data.subarray(s, e));
    tensors.set(name, { shape: t.shape, values: new Float32Array(copy.buffer, copy.byteOffset, (e - s) / 4) });
  }
  return { headerBytes: n, metadata: header.__metadata__ as Record<string, string>, tensors, dataBytes: data.length };
}

describe("llm lora: llmctl finetune / adapter / eval on Node", function () {
  this.timeout(300000);
  let k: KernelModule<any>;
  const shape: Shape = { dim: 48, hidden: 96, layers: 2, heads: 4, kvHeads: 2, vocab: 320, seqLen: 64, shared: true };
  // random weights with a larger embedding (also the classifier) so logits can move far enough to learn
  const scaled = (seed: number) => { const w = randomWeights(shape, seed); w.tokEmb = w.tokEmb.map((v) => v * 20); return w; };
  const model = checkpointBytes(scaled(5));
  const other = checkpointBytes(scaled(6));
  const tok = makeTokenizer(shape.vocab, 2);
  const words = ["red", "green", "blue", "black", "white", "pink", "gray", "gold"];
  const examples = Array.from({ length: 16 }, (_, i) => ({ prompt: `code ${i} is`, completion: words[(i * 3) % words.length] }));
  const data = Buffer.from(JSON.stringify({ examples }, null, 1));
  const sh = (line: string) => { k.platform.takeOutput(); const status = k.exports.shellRun(line); return { status, out: k.platform.takeOutput() as string }; };
  const write = (p: string, b: Uint8Array) => {
    const ptr = k.exports.hostAlloc(Math.max(1, b.length));
    new Uint8Array(k.memory.buffer, ptr, b.length).set(b);
    assert.equal(k.exports.writeFile(p, ptr, b.length), b.length);
    k.exports.hostFree(ptr);
  };
  const read = (p: string): Buffer | null => {
    const n = k.exports.readFile(p);
    if (n < 0) return null;
    return Buffer.from(new Uint8Array(k.memory.buffer, k.exports.readPtr(), n));
  };

  before(async () => {
    k = await loadKernelModule("tests/unit/llm/lora.entry.ts", { memoryBase: 160 << 20 });
    k.exports.memInit();
    k.exports.fsInit();
    write("/data/m.bin", model);
    write("/data/other.bin", other);
    write("/data/tok.bin", tok.bytes);
    write("/data/train.json", data);
  });

  it("help: llmctl --help names the LoRA subcommands, each has its own usage", () => {
    assert.match(sh("llmctl --help").out, /finetune, finetune-status, finetune-cancel, adapter, eval --adapter/);
    assert.match(sh("llmctl finetune --help").out, /^llmctl finetune DATA NAME \[--epochs N\]/m);
    assert.match(sh("llmctl adapter --help").out, /llmctl adapter load NAME\|FILE/);
    assert.match(sh("llmctl eval --help").out, /llmctl eval --adapter NAME/);
    assert.match(sh("llmctl adapter bogus").out, /unknown subcommand 'bogus'/);
  });

  it("refuses to fine-tune without a model", () => {
    const r = sh("llmctl finetune /data/train.json t0 --wait");
    assert.equal(r.status, 1);
    assert.match(r.out, /no model is loaded/);
  });

  it("refuses LoRA on an int8 model (its weights are not f32 matrices)", () => {
    write("/data/q8.bin", q8CheckpointBytes(scaled(5)));
    assert.equal(sh("llmctl load /data/q8.bin --tokenizer /data/tok.bin").status, 0);
    const r = sh("llmctl finetune /data/train.json q8 --wait");
    assert.equal(r.status, 1);
    assert.match(r.out, /LoRA needs an f32 model; the loaded one has int8 weights/);
    assert.equal(sh("llmctl unload").status, 0);
  });

  it("fine-tunes with --wait, saves a PEFT-named safetensors adapter, and the adapter learns the task", () => {
    assert.equal(sh("llmctl load /data/m.bin --tokenizer /data/tok.bin").status, 0);
    const before = sh("llmctl eval --adapter none --data /data/train.json");
    assert.equal(before.status, 1, "eval of a missing adapter fails");
    const r = sh("llmctl finetune /data/train.json colors --epochs 60 --lr 0.01 --rank 4 --alpha 8 --targets wq,wv,w1,w2,w3 --seed 3 --wait");
    assert.equal(r.status, 0, r.out);
    if (process.env.LORA_VERBOSE) console.log(r.out);
    const m = /finetune colors: 16 examples, 60 epochs in ([\d.]+) s, loss ([\d.]+) -> ([\d.]+)/.exec(r.out);
    assert.ok(m, r.out);
    const [l0, l1] = [Number(m![2]), Number(m![3])];
    assert.ok(l1 < 0.5 * l0, `loss ${l0} -> ${l1}`);
    const file = read("/models/colors.safetensors")!;
    assert.ok(file, "adapter saved");
    assert.equal(read("/models/colors.safetensors.tmp"), null, "no temporary file left");
    const st = readSafetensors(file);
    assert.equal(st.headerBytes % 8, 0);
    assert.equal(st.metadata.rank, "4");
    assert.equal(Number(st.metadata.alpha), 8);
    assert.equal(st.metadata.targets, "wq,wv,w1,w2,w3");
    assert.equal(st.metadata.base_sha256, sha(model));
    assert.equal(st.metadata.data_sha256, sha(data));
    assert.equal(st.metadata.epochs, "60");
    assert.ok(Math.abs(Number(st.metadata.final_loss) - l1) < 1e-3);
    const kv = (shape.dim * shape.kvHeads) / shape.heads;
    assert.equal(st.tensors.size, 2 * 5 * shape.layers);
    assert.deepEqual(st.tensors.get("base_model.model.layers.0.feed_forward.w2.lora_A.weight")!.shape, [4, shape.hidden]);
    for (let l = 0; l < shape.layers; l++) {
      assert.deepEqual(st.tensors.get(`base_model.model.layers.${l}.attention.wq.lora_A.weight`)!.shape, [4, shape.dim]);
      assert.deepEqual(st.tensors.get(`base_model.model.layers.${l}.attention.wq.lora_B.weight`)!.shape, [shape.dim, 4]);
      assert.deepEqual(st.tensors.get(`base_model.model.layers.${l}.attention.wv.lora_B.weight`)!.shape, [kv, 4]);
      const b = st.tensors.get(`base_model.model.layers.${l}.attention.wv.lora_B.weight`)!.values;
      assert.ok(b.some((v) => v !== 0), "B was trained away from zero");
    }
    // the plain-Python reader (struct + json) agrees, when python3 is there
    const tmp = path.join(os.tmpdir(), `lora-${process.pid}.safetensors`);
    fs.writeFileSync(tmp, file);
    try {
      const out = JSON.parse(execFileSync("python3", ["tests/host/read_adapter.py", tmp]).toString());
      assert.equal(out.metadata.base_sha256, sha(model));
      assert.equal(out.tensors.length, st.tensors.size);
      const name = `base_model.model.layers.1.attention.wq.lora_B.weight`;
      const t = out.tensors.find((x: any) => x.name === name);
      assert.deepEqual(t.shape, [shape.dim, 4]);
      assert.ok(Math.abs(t.sum - st.tensors.get(name)!.values.reduce((a, x) => a + x, 0)) < 1e-4);
    } finally { fs.rmSync(tmp, { force: true }); }

    const ev = sh("llmctl eval --adapter colors --data /data/train.json");
    assert.equal(ev.status, 0, ev.out);
    const b = /base: (\d+)\/16/.exec(ev.out)!, a = /adapted: (\d+)\/16/.exec(ev.out)!;
    assert.ok(Number(a[1]) >= Number(b[1]) + 8, ev.out + sh("llmctl eval --adapter colors --data /data/train.json --json").out);
    // generate uses the active adapter; unload restores the base exactly
    const gen = () => JSON.parse(sh('llmctl generate "code 3 is" --tokens 4 --json').out).tokens.join(",");
    const g0 = gen();
    assert.equal(sh("llmctl adapter load colors").status, 0);
    const g1 = gen();
    assert.notEqual(g1, g0);
    assert.match(sh("llmctl adapter list").out, /\* colors .*rank 4, targets wq,wv,w1,w2,w3/);
    assert.equal(sh("llmctl adapter unload").status, 0);
    assert.equal(gen(), g0, "base weights restored");
  });

  it("refuses an adapter made for another base model", () => {
    assert.equal(sh("llmctl load /data/other.bin --tokenizer /data/tok.bin").status, 0);
    const r = sh("llmctl adapter load colors");
    assert.equal(r.status, 1);
    assert.match(r.out, /made for another base model/);
    assert.equal(sh("llmctl load /data/m.bin --tokenizer /data/tok.bin").status, 0);
  });

  it("adapter merge saves a llama2.c checkpoint atomically: W + (alpha/r) B A, the rest unchanged, and it loads as the adapted model", () => {
    try { mergeChecks(); } finally { sh("llmctl load /data/m.bin --tokenizer /data/tok.bin"); }
  });
  function mergeChecks(): void {
    assert.equal(sh("llmctl load /data/m.bin --tokenizer /data/tok.bin").status, 0);
    assert.match(sh("llmctl adapter merge").out, /^error: no adapter is active$/m);
    const gen = () => JSON.parse(sh('llmctl generate "code 5 is" --tokens 4 --json').out).tokens.join(",");
    const g0 = gen();
    assert.equal(sh("llmctl adapter load colors").status, 0);
    const g1 = gen();
    assert.notEqual(g1, g0);
    assert.match(sh("llmctl adapter merge --bogus").out, /^error: /m);
    const r = sh("llmctl adapter merge");
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /merged .*saved \/models\/colors-merged\.bin/);
    const f = read("/models/colors-merged.bin")!;
    assert.ok(f, "merged checkpoint saved");
    assert.equal(read("/models/colors-merged.bin.tmp"), null, "no temporary file left");
    assert.equal(f.length, model.length);
    const m0 = Buffer.from(model);
    const floats = (b: Buffer, at: number, n: number) => new Float32Array(Uint8Array.from(b.subarray(at, at + 4 * n)).buffer);
    const { dim: D, hidden: H, layers: L, vocab: V, seqLen: S } = shape, KV = (D * shape.kvHeads) / shape.heads, hs = D / shape.heads;
    const at: Record<string, number> = {};
    let o = 28;
    for (const [name, n] of [["emb", V * D], ["rmsAtt", L * D], ["wq", L * D * D], ["wk", L * KV * D], ["wv", L * KV * D], ["wo", L * D * D],
      ["rmsFfn", L * D], ["w1", L * H * D], ["w2", L * D * H], ["w3", L * H * D], ["rmsFinal", D], ["rope", S * hs]] as [string, number][]) { at[name] = o; o += 4 * n; }
    assert.equal(o, model.length);
    assert.ok(f.subarray(0, at.wq).equals(m0.subarray(0, at.wq)), "header, embedding and norms unchanged");
    assert.ok(f.subarray(at.wk, at.wv).equals(m0.subarray(at.wk, at.wv)), "wk (not a target) unchanged");
    assert.ok(f.subarray(at.wo, at.w1).equals(m0.subarray(at.wo, at.w1)), "wo and rms_ffn unchanged");
    const rope0 = floats(m0, at.rope, S * hs), rope1 = floats(f, at.rope, S * hs);
    // the kernel's f32 cos/sin against the host's float64 ones (the loader skips these tables)
    const ropeDiff = rope0.reduce((w, v, i) => Math.max(w, Math.abs(v - rope1[i])), 0);
    assert.ok(ropeDiff < 1e-4, `RoPE tables differ by ${ropeDiff}`);
    // every targeted matrix is W + (alpha/r) B A of the saved adapter (float64 on the host)
    const st = readSafetensors(read("/models/colors.safetensors")!);
    const scale = Number(st.metadata.alpha) / Number(st.metadata.rank);
    for (const [t, group, rows, cols] of [["wq", "attention", D, D], ["wv", "attention", KV, D], ["w1", "feed_forward", H, D], ["w2", "feed_forward", D, H]] as [string, string, number, number][]) {
      for (let l = 0; l < L; l++) {
        const A = st.tensors.get(`base_model.model.layers.${l}.${group}.${t}.lora_A.weight`)!.values;
        const B = st.tensors.get(`base_model.model.layers.${l}.${group}.${t}.lora_B.weight`)!.values;
        const w0 = floats(m0, at[t] + 4 * l * rows * cols, rows * cols), w1 = floats(f, at[t] + 4 * l * rows * cols, rows * cols);
        let worst = 0, changed = 0;
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < cols; j++) {
            let ba = 0;
            for (let kk = 0; kk < 4; kk++) ba += B[i * 4 + kk] * A[kk * cols + j];
            const want = w0[i * cols + j] + scale * ba;
            worst = Math.max(worst, Math.abs(w1[i * cols + j] - want));
            if (w1[i * cols + j] !== w0[i * cols + j]) changed++;
          }
        }
        assert.ok(worst < 1e-5, `${t} layer ${l}: max |merged - (W + s B A)| = ${worst}`);
        assert.ok(changed > 0, `${t} layer ${l} changed`);
      }
    }
    assert.equal(gen(), g1, "the merged weights in memory generate as the adapter did");
    assert.equal(sh("llmctl load /models/colors-merged.bin --tokenizer /data/tok.bin").status, 0);
    assert.equal(gen(), g1, "the merged checkpoint loads as the adapted model");
    assert.match(sh("llmctl adapter load colors").out, /made for another base model/);
    assert.equal(sh("llmctl load /data/m.bin --tokenizer /data/tok.bin").status, 0);
    assert.equal(gen(), g0);
  }

  it("bad data sets: one line each, no file written", () => {
    const cases: [string, string, RegExp][] = [
      ["bad1", '{"examples": [\n  {"prompt": "a", "completion": "b"},\n  {"prompt": "c" "completion": "d"}\n]}', /line 3, column 18/],
      ["bad2", '{"examples": [{"prompt": "a"}]}', /example 0: missing field "completion"/],
      ["bad3", '{"examples": []}', /empty/],
      ["bad4", '{"data": []}', /missing field "examples"/],
      ["bad5", '[1, 2]', /expected an object/],
    ];
    for (const [name, text, re] of cases) {
      write(`/data/${name}.json`, Buffer.from(text));
      const r = sh(`llmctl finetune /data/${name}.json ${name} --wait`);
      assert.equal(r.status, 1, r.out);
      assert.match(r.out, re);
      assert.equal(r.out.trim().split("\n").length, 1, r.out);
      assert.equal(read(`/models/${name}.safetensors`), null);
    }
    assert.match(sh("llmctl finetune /data/none.json x").out, /no such file/);
    assert.match(sh("llmctl finetune /data/train.json x --rank 0").out, /--rank must be/);
    assert.match(sh("llmctl finetune /data/train.json x --targets wq,zz").out, /--targets/);
    assert.match(sh("llmctl finetune /data/train.json ../x").out, /adapter name/);
  });

  it("over-long examples are cut and counted", () => {
    const long = { examples: [{ prompt: "p", completion: "x ".repeat(200) }, { prompt: "q ".repeat(200), completion: "y" }, { prompt: "a", completion: "b" }] };
    write("/data/long.json", Buffer.from(JSON.stringify(long)));
    const r = sh("llmctl finetune /data/long.json long --epochs 1 --wait");
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /2 examples, 1 cut to 64 tokens, 1 dropped/);
  });

  it("an exploding loss stops the run with an error and saves nothing", () => {
    const r = sh("llmctl finetune /data/train.json boom --lr 1e8 --epochs 50 --targets wq,wk,wv,wo,w1,w2,w3 --wait");
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /diverged|not finite/);
    assert.equal(read("/models/boom.safetensors"), null);
  });

  it("runs in the background: status, cancel keeps nothing", () => {
    const r = sh("llmctl finetune /data/train.json bg --epochs 200");
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /running in the background/);
    const s = sh("llmctl finetune-status --json");
    const j = JSON.parse(s.out);
    assert.equal(j.name, "bg"); assert.equal(j.state, "running"); assert.equal(j.steps, 200 * 16);
    assert.match(sh("llmctl finetune /data/train.json bg2").out, /already running/);
    assert.equal(sh("llmctl finetune-cancel").status, 0);
    assert.equal(JSON.parse(sh("llmctl finetune-status --json").out).state, "cancelled");
    assert.equal(read("/models/bg.safetensors"), null);
    assert.match(sh("llmctl finetune-cancel").out, /no fine-tune is running/);
  });

  it("Ctrl-C during --wait stops the run: status 130, nothing saved", () => {
    k.platform.type("\x03");
    const r = sh("llmctl finetune /data/train.json stopped --epochs 100 --wait");
    assert.equal(r.status, 130, r.out);
    assert.match(r.out, /interrupted; nothing saved/);
    assert.equal(read("/models/stopped.safetensors"), null);
    assert.equal(JSON.parse(sh("llmctl finetune-status --json").out).state, "cancelled");
  });

  it("a full disk: the save fails with one line, no file or temporary file left", () => {
    assert.equal(k.exports.mountTmpfs("/models", 8192), 0);
    const r = sh("llmctl finetune /data/train.json full --epochs 1 --wait");
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /no space left|nothing saved/);
    assert.equal(read("/models/full.safetensors"), null);
    assert.equal(read("/models/full.safetensors.tmp"), null);
  });
});
