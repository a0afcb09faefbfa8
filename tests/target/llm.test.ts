// The in-kernel language model in QEMU: the system disk's generated stories260K-shaped model
// (host/llm-models.ts writeDiskModels, seeded) is loaded from ext4, greedy generation must give
// exactly the tokens of the host's float64 reference, text streams with the speed line, Ctrl-C
// stops a long generation, bad files are refused with one line while the model stays usable,
// and unload gives back every page (memctl stats before and after).
import assert from "node:assert/strict";
import { bootForSuite } from "./helpers.ts";
import { SHAPES, randomWeights, makeTokenizer } from "../../host/llm-models.ts";
import { ReferenceModel, referenceEncode, referenceDecode } from "../unit/llm/reference.ts";

function freePages(stats: string): number {
  const m = stats.match(/^free: .*?\((\d+) pages\)/m);
  assert.ok(m, stats);
  return Number(m![1]);
}

describe("target: language model (llmctl)", function () {
  this.timeout(120000);
  const qemu = bootForSuite({ systemDiskSnapshot: true });
  // the same files the image build wrote (writeDiskModels)
  const weights = randomWeights(SHAPES.stories260K, 260);
  const tok = makeTokenizer(512, 512);
  const ref = new ReferenceModel(weights);
  let freeBefore = 0;

  it("loads the model from ext4 into pages", async () => {
    const s = qemu.get();
    freeBefore = freePages(await s.run("memctl stats"));
    const out = await s.run("llmctl load /models/test260k.bin --tokenizer /models/tok512.bin", 60000);
    assert.match(out, /^loaded dim 64, hidden 172, layers 5, heads 8, kv heads 4, vocab 512, seq 512, shared classifier; 260032 parameters, [\d.]+ MiB of pages/m);
    const st = JSON.parse((await s.run("llmctl status --json")).trim());
    assert.equal(st.loaded, true);
    assert.equal(st.file_bytes, 28 + 4 * (260032 + 512 * 8));
    assert.equal(freeBefore - freePages(await s.run("memctl stats")), st.memory_bytes / 4096, "the model's pages come from kernel/mm");
  });

  it("greedy tokens from an empty prompt and from a text prompt equal the float64 reference", async () => {
    const s = qemu.get();
    const empty = JSON.parse((await s.run("llmctl generate --temp 0 --tokens 48 --json", 60000)).trim());
    assert.deepEqual(empty.prompt_tokens, [1]);
    assert.deepEqual(empty.tokens, ref.greedy([1], 48));
    const text = "Once upon a time, Lily saw a cat";
    const withPrompt = JSON.parse((await s.run(`llmctl generate "${text}" --temp 0 --tokens 32 --json`, 60000)).trim());
    assert.deepEqual(withPrompt.prompt_tokens, referenceEncode(tok.pieces, tok.scores, text, true));
    assert.deepEqual(withPrompt.tokens, ref.greedy(withPrompt.prompt_tokens, 32));
    assert.ok(withPrompt.prompt_tokens.length > 8, "a multi-token prompt (batched)");
  });

  it("generate prints the text as it goes and the speed line", async () => {
    const s = qemu.get();
    const out = await s.run("llmctl generate --temp 0 --tokens 48", 60000);
    const m = out.match(/^(\d+) tokens in ([\d.]+) ms \(([\d.]+) tok\/s\); prompt (\d+) tokens in ([\d.]+) ms$/m);
    assert.ok(m, out);
    const ids = ref.greedy([1], 48);
    assert.equal(Number(m![1]), ids.length);
    // the streamed text is the reference's decoding of the same tokens ("\n" printed as "\r\n")
    const want = referenceDecode(tok.pieces, ids).toString("utf8");
    assert.equal(out.slice(0, m!.index!).replace(/\n$/, ""), want);
    console.log(`      QEMU stories260K shape: ${m![3]} tok/s decode, prompt ${m![4]} tokens in ${m![5]} ms`);
  });

  it("Ctrl-C stops a long generation and the shell answers", async () => {
    const s = qemu.get();
    const start = s.serialLog.length;
    s.type("llmctl generate --temp 1 --tokens 100000 --seed 3\r");
    await s.waitFor(/\r\n[^\r\n]{8,}/, 30000, start);
    s.type("\x03");
    await s.waitFor(/sis> $/, 30000, start);
    const out = s.serialLog.slice(start);
    assert.match(out, /\(interrupted\)/);
    const m = out.match(/(\d+) tokens in /);
    assert.ok(m && Number(m[1]) < 511, out.slice(-300));
    assert.match(await s.run("llmctl status"), /last run: +\d+ tokens/);
  });

  it("bad files and arguments: one error line each, the loaded model stays usable", async () => {
    const s = qemu.get();
    const cases: [string, RegExp][] = [
      ["llmctl load /models", /^error: \/models: not a regular file$/],
      ["llmctl load /models/none.bin", /^error: \/models\/none.bin: no such file or directory$/],
      ["llmctl load /models/tok512.bin", /^error: \/models\/tok512.bin: llama2.c checkpoint: /],
      ["llmctl load /models/test260k.bin --tokenizer /models/test260k.bin", /^error: \/models\/test260k.bin: token \d+ has length \d+ \(max \d+\)$/],
      ["llmctl load /models/test260k.bin --tokenizer /etc", /^error: \/etc: not a regular file$/],
      ["llmctl generate --temp -1", /^error: --temp must be/],
      ["llmctl generate --tokens 0", /^error: --tokens must be/],
      ["llmctl frobnicate", /^error: unknown llmctl subcommand 'frobnicate'/],
      ["llmctl load", /^error: usage: llmctl load/],
    ];
    for (const [cmd, re] of cases) {
      const out = await s.run(cmd, 30000);
      assert.match(out.trim().split("\n").pop()!, re, `${cmd}: ${out}`);
      assert.equal(out.trim().split("\n").filter((l) => l.startsWith("error")).length, 1, cmd);
    }
    assert.match(await s.run("llmctl --help"), /llmctl load CHECKPOINT/);
    const again = JSON.parse((await s.run("llmctl generate --temp 0 --tokens 16 --json", 60000)).trim());
    assert.deepEqual(again.tokens, ref.greedy([1], 16));
  });

  it("unload gives back every page", async () => {
    const s = qemu.get();
    assert.match(await s.run("llmctl unload"), /^unloaded$/m);
    assert.equal(freePages(await s.run("memctl stats")), freeBefore);
    assert.match(await s.run("llmctl status"), /no model loaded/);
    assert.match(await s.run("llmctl unload"), /^error: no model is loaded$/m);
  });
});
