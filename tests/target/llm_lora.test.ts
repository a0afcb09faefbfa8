// LoRA fine-tuning in QEMU (issue 15): the system disk's stories260K-shaped model is
// fine-tuned on /models/finetune-smoke.json (8 examples) by `llmctl finetune --wait` as a
// kernel task, the adapter is saved to ext4 and read back by the independent reader, loaded
// (generate changes), evaluated (adapted beats base on its own training set), unloaded
// (generate is the base's again), merged into a checkpoint on ext4 that loads as the adapted
// model, and bad input gives one line. Prints the training speed.
import assert from "node:assert/strict";
import { bootForSuite } from "./helpers.ts";

describe("target: LoRA fine-tune (llmctl finetune / adapter / eval)", function () {
  this.timeout(120000);
  const qemu = bootForSuite({ systemDiskSnapshot: true });

  it("finetune --wait trains and saves, adapter load changes generation, eval gains, unload restores", async () => {
    const s = qemu.get();
    assert.match(await s.run("llmctl load /models/test260k.bin --tokenizer /models/tok512.bin", 60000), /^loaded /m);
    const base = JSON.parse((await s.run('llmctl generate "code 3 is" --tokens 3 --json', 30000)).trim()).tokens;
    const out = await s.run("llmctl finetune /models/finetune-smoke.json smoke --epochs 12 --lr 0.01 --rank 4 --targets wq,wk,wv,wo,w1,w2,w3 --wait", 90000);
    const m = out.match(/^finetune smoke: 8 examples, 12 epochs in ([\d.]+) s, loss ([\d.]+) -> ([\d.]+); saved \/models\/smoke.safetensors \((\d+) bytes\)/m);
    assert.ok(m, out);
    assert.ok(Number(m![3]) < Number(m![2]), "the loss went down");
    console.log(`      QEMU: 96 example-steps (8 examples x 12 epochs, ~8 tokens each) in ${m![1]} s, loss ${m![2]} -> ${m![3]}, adapter ${m![4]} bytes`);
    assert.match(await s.run("llmctl adapter list"), /^ {2}smoke +\d+ bytes +rank 4, targets wq,wk,wv,wo,w1,w2,w3, 8 examples x 12 epochs/m);
    assert.match(await s.run("llmctl adapter load smoke", 30000), /^adapter smoke active: rank 4/m);
    const adapted = JSON.parse((await s.run('llmctl generate "code 3 is" --tokens 3 --json', 30000)).trim()).tokens;
    assert.notDeepEqual(adapted, base);
    assert.match(await s.run("llmctl adapter unload"), /base weights restored/);
    assert.deepEqual(JSON.parse((await s.run('llmctl generate "code 3 is" --tokens 3 --json', 30000)).trim()).tokens, base);
    const ev = await s.run("llmctl eval --adapter smoke --data /models/finetune-smoke.json --base /models/finetune-smoke.json", 60000);
    const b = ev.match(/^base: (\d+)\/8 /m), a = ev.match(/^adapted: (\d+)\/8 /m);
    assert.ok(b && a, ev);
    assert.ok(Number(a![1]) > Number(b![1]), ev);
    // merge persists: the checkpoint written to ext4 loads as the adapted model
    assert.match(await s.run("llmctl adapter load smoke", 30000), /^adapter smoke active/m);
    assert.match(await s.run("llmctl adapter merge --out /models/smoke-merged.bin", 60000), /saved \/models\/smoke-merged\.bin/);
    assert.match(await s.run("llmctl load /models/smoke-merged.bin --tokenizer /models/tok512.bin", 60000), /^loaded /m);
    assert.deepEqual(JSON.parse((await s.run('llmctl generate "code 3 is" --tokens 3 --json', 30000)).trim()).tokens, adapted);
    assert.match(await s.run("llmctl load /models/test260k.bin --tokenizer /models/tok512.bin", 60000), /^loaded /m);
  });

  it("runs in the background on the demo set: ps shows it, status reports tokens/s, cancel keeps nothing", async () => {
    const s = qemu.get();
    assert.match(await s.run("llmctl finetune /models/finetune-data.json speed --epochs 1 --targets wq,wk,wv,wo,w1,w2,w3", 30000), /running in the background/);
    assert.match(await s.run("ps"), /finetune/);
    await new Promise((r) => setTimeout(r, 12000));
    const st = JSON.parse((await s.run("llmctl finetune-status --json", 30000)).trim());
    assert.equal(st.state, "running");
    assert.ok(st.step > 0 && st.tokens_per_s > 0, JSON.stringify(st));
    console.log(`      QEMU demo set on the stories260K shape, all 7 targets: ${st.step} examples in ${st.train_s} s, ${st.tokens_per_s} training tokens/s, ${st.seconds_left} s left in the epoch`);
    assert.match(await s.run("llmctl finetune-cancel"), /cancelled .* nothing saved/);
    assert.doesNotMatch(await s.run("ls /models"), /speed\.safetensors/);
  });

  it("bad input: one error line each, the shell keeps running", async () => {
    const s = qemu.get();
    for (const [cmd, re] of [
      ["llmctl finetune /models/none.json x --wait", /no such file/],
      ["llmctl finetune /models/test260k.bin x --wait", /malformed JSON at line 1, column 1/],
      ["llmctl finetune /models/finetune-smoke.json x --rank 99", /--rank must be/],
      ["llmctl adapter load none", /no such file/],
      ["llmctl adapter load /models/test260k.bin", /not a LoRA adapter|header length/],
    ] as [string, RegExp][]) {
      const out = await s.run(cmd, 30000);
      assert.match(out, re, `${cmd}: ${out}`);
      assert.equal(out.trim().split("\n").filter((l) => l.startsWith("error")).length, 1, `${cmd}: ${out}`);
    }
    assert.match(await s.run("llmctl unload"), /^unloaded$/m);
    assert.match(await s.run("llmctl finetune /models/finetune-smoke.json x --wait"), /no model is loaded/);
  });
});
