// llmctl infer in QEMU: the domain model loads from /models on first use and answers from
// the live state; --json gives one object and never executes; Execute? [y/N] runs the
// suggestion only on y; auto-execute runs allowlisted suggestions; a short llmctl eval on
// held-out questions prints its table. One boot, well under 60 s on a quiet machine.
import assert from "node:assert/strict";
import { bootForSuite } from "./helpers.ts";

describe("target: llmctl infer (domain model)", function () {
  this.timeout(120000);
  const qemu = bootForSuite({ systemDiskSnapshot: true });

  it("--json: one object from the live state, never executes", async () => {
    const s = qemu.get();
    const out = await s.run("llmctl infer --json \"how much memory is free?\"", 60000);
    const line = out.trim().split("\n").pop()!;
    const j = JSON.parse(line);
    assert.match(j.state, /^mem \d+\/\d+ frag \d+ big \d+[KM] oom \d+ ev \d+ sched \w+ run \d+ sw \d+ vda \d+ hit \d+ fs r[wo] net (up|down) uptime \d+[mhd] tasks \d+ trace \d+$/);
    const [, free, total] = j.state.match(/^mem (\d+)\/(\d+)/);
    assert.match(j.answer, new RegExp(`${free} MiB of ${total} MiB`), "the answer uses the live numbers");
    assert.ok(j.command === null || typeof j.command === "string");
    assert.ok(j.prompt_tokens > 30 && j.generated_tokens > 3);
    console.log(`      QEMU: ${j.prompt_tokens} prompt + ${j.generated_tokens} tokens in ${j.latency_ms} ms: ${j.answer} -> ${j.command}`);
  });

  it("Execute? [y/N]: n declines, y runs the command and shows its output", async () => {
    const s = qemu.get();
    const ask = async (q: string, answer: string) => {
      const start = s.serialLog.length;
      s.type(`llmctl infer "${q}"\r`);
      await s.waitFor("Execute? [y/N] ", 60000, start);
      s.type(answer + "\r");
      await s.waitFor(/sis> $/, 60000, start + 10);
      return s.serialLog.slice(start).replace(/\r\n/g, "\n");
    };
    const no = await ask("list the tasks", "n");
    assert.match(no, /Suggested command: ps/);
    assert.match(no, /not executed/);
    const yes = await ask("list the tasks", "y");
    assert.match(yes, /ID\s+NAME/);
    assert.match(yes, /\(exit status 0\)/);
  });

  it("auto-execute runs an allowlisted suggestion without asking; tracectl shows the decisions", async () => {
    const s = qemu.get();
    assert.match(await s.run("llmctl auto-execute on"), /auto-execute on/);
    const out = await s.run("llmctl infer \"what version is this?\"", 60000);
    assert.match(out, /auto-execute: version/);
    assert.match(out, /\(exit status 0\)/);
    await s.run("llmctl auto-execute off");
    assert.match(await s.run("tracectl list"), /llm/);
    assert.match(await s.run("llmctl infer \"\""), /^error: empty question/m);
  });

  it("llmctl eval on held-out questions prints the model and the keyword baseline", async () => {
    const s = qemu.get();
    const out = await s.run("llmctl eval --limit 20 --json", 90000);
    const rows = out.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    assert.equal(rows.length, 2);
    for (const r of rows) assert.equal(r.questions, 20);
    console.log(`      QEMU eval (20): ${JSON.stringify(rows)}`);
  });
});
