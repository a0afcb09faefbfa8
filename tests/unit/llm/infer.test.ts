// The domain model (images/rootfs/models/sis-qa.bin, trained by `make model`) answering
// held-out questions x states through the kernel's own engine and infer code, compiled to
// wasm: the evaluation guards sit a margin below the measured figures (README "Domain
// model"), so a broken model, tokenizer, prompt format or answer parser fails here. Then
// the shell: llmctl infer --json, Execute? [y/N], auto-execute and its allowlist, invalid
// suggestions, tracing, bad input.
import assert from "node:assert/strict";
import type { KernelModule } from "../../host/compile.ts";
import { SHAPES, randomWeights, checkpointBytes, makeTokenizer } from "../../../host/llm-models.ts";
import { loadInfer, loadDomainModel, evalItems, ask, score } from "./infer_harness.ts";

// measured (README): model correct-for-state 79.2% / actionable 95.8% on the first EVAL_N held-out
// items, keyword baseline 41.7% / 70.0% (greedy, so exact on Node); the previous model (dim 64,
// template corpus) scored 66.7% / 90.8% on the same items and fails these guards. Guards a margin below:
const EVAL_N = 120;
const GUARD_CORRECT = 75;
const GUARD_ACTIONABLE = 92;
const GUARD_OVER_KEYWORD = 32;

const STATE = "mem 812/956 frag 20 big 4M oom 3 ev 0 sched fair run 2 sw 400 vda 41 hit 97 fs rw net up uptime 12m tasks 9 trace 10";

describe("llm infer: the domain model on held-out questions x states", function () {
  this.timeout(300000);
  let k: KernelModule<any>;
  before(async () => { k = await loadInfer(); assert.equal(loadDomainModel(k), ""); });

  it(`correct-for-state and actionable above the guards, at least ${GUARD_OVER_KEYWORD} points from the keyword baseline`, () => {
    const items = evalItems().slice(0, EVAL_N);
    const m = score(k, items, (it) => ask(k, it.state, it.question));
    const kw = score(k, items, (it) => ({ command: k.exports.keyword(it.question), latencyUs: 0 }));
    console.log(`      model: correct ${m.correct.toFixed(1)}%, actionable ${m.actionable.toFixed(1)}%, ` +
      `Node latency p50 ${m.p50.toFixed(1)} ms p99 ${m.p99.toFixed(1)} ms; keyword: correct ${kw.correct.toFixed(1)}%, actionable ${kw.actionable.toFixed(1)}%`);
    if (process.env.INFER_VERBOSE) console.log(m.wrong.join("\n"));
    assert.ok(m.correct >= GUARD_CORRECT, `correct-for-state ${m.correct}% < ${GUARD_CORRECT}%`);
    assert.ok(m.actionable >= GUARD_ACTIONABLE, `actionable ${m.actionable}% < ${GUARD_ACTIONABLE}%`);
    assert.ok(m.correct >= kw.correct + GUARD_OVER_KEYWORD, `model ${m.correct}% vs keyword ${kw.correct}%`);
  });

  it("the answer cites the state's numbers (slots filled from the state line)", () => {
    const frag = "mem 300/956 frag 85 big 16K oom 10 ev 0 sched fair run 2 sw 400 vda 41 hit 97 fs rw net up uptime 12m tasks 9 trace 10";
    const a = ask(k, frag, "should I compact memory?");
    assert.match(a.answer, /^Fragmentation is 85% and the largest free block is 16 KiB\./);
    assert.ok(a.command === "memctl compact" || a.command === "none", a.command);
    assert.doesNotMatch(a.answer, /\$/);
    const mem = ask(k, STATE, "how much memory is free?");
    assert.match(mem.answer, /812 MiB of 956 MiB/);
    assert.ok(mem.confidence > 0 && mem.confidence <= 1);
    assert.ok(mem.promptTokens > 40 && mem.promptTokens < 90, `prompt ${mem.promptTokens} tokens`);
  });

  it("a boot-time state (98% free, no fragmentation, nothing running) gets the rules' answers", () => {
    // the state right after boot is at the edge of every range: the committed model before the
    // corpus covered it answered "Memory is low: look at what uses it. -> ps" at 98% free
    const boot = "mem 941/956 frag 0 big 4M oom 0 ev 0 sched fair run 1 sw 0 vda 3 hit 0 fs rw net up uptime 0m tasks 7 trace 0";
    const cases: [string, string][] = [
      ["how much memory is free?", "none"], ["should I compact memory?", "none"], ["is everything ok?", "none"],
      ["am I going to run out of memory?", "none"], ["is the disk full?", "none"], ["is the system busy?", "none"],
      ["were there any OOM events?", "none"], ["turn on the AI scheduler", "schedctl policy attention"],
      ["how long has the system been up", "none"], ["sync everything to disk", "sync"],
    ];
    const wrong = cases.map(([q, want]) => [q, want, ask(k, boot, q)] as const).filter(([, want, a]) => a.command !== want)
      .map(([q, want, a]) => `${q} -> ${a.answer} | ${a.command} (want ${want})`);
    assert.deepEqual(wrong, []);
    const mem = ask(k, boot, "how much memory is free?");
    assert.match(mem.answer, /^941 MiB of 956 MiB free \(98%\)/);
    assert.doesNotMatch(mem.answer, /low/);
  });

  it("bad input: empty, control and non-ASCII questions; a long one is cut to fit the context", () => {
    assert.match(k.exports.questionProblem(""), /^empty question/);
    assert.match(k.exports.questionProblem("   "), /^empty question/);
    assert.match(k.exports.questionProblem("how much mémoire"), /non-ASCII/);
    assert.match(k.exports.questionProblem("a\u0001b"), /control character/);
    assert.equal(k.exports.questionProblem("how much memory is free"), "");
    const long = ask(k, STATE, "how much memory is free " + "and what about it ".repeat(40));
    assert.equal(long.error, undefined);
    assert.equal(long.truncated, true);
    assert.ok(long.promptTokens <= 160 - 56);
  });
});

describe("llm infer: models that cannot answer", function () {
  this.timeout(120000);
  let k: KernelModule<any>;
  before(async () => { k = await loadInfer(); });

  it("no model loaded, and a model whose vocabulary does not fit, say how to load the domain model", () => {
    assert.match(k.exports.modelProblem(), /^no model loaded \(llmctl load \/models\/sis-qa.bin --tokenizer \/models\/sis-qa.tok\)/);
    const s = SHAPES.stories260K;
    const put = (b: Uint8Array) => { const p = k.exports.hostAlloc(b.length); new Uint8Array(k.memory.buffer, p, b.length).set(b); return p; };
    const c = checkpointBytes(randomWeights(s, 1)), t = makeTokenizer(s.vocab, 1).bytes;
    assert.equal(k.exports.load(put(c), c.length, put(t), t.length), "");
    assert.match(k.exports.modelProblem(), /vocabulary does not fit the prompt .*llmctl load \/models\/sis-qa.bin/);
    // the shell says the same in one line and keeps working
    k.platform.takeOutput();
    assert.equal(k.exports.shellRun("llmctl infer how much memory is free"), 1);
    const out = k.platform.takeOutput().trim().split(/\r?\n/);
    assert.equal(out.length, 1);
    assert.match(out[0], /^error: the loaded model's vocabulary does not fit/);
    assert.equal(k.exports.unload(), true);
  });
});

describe("llm infer: the shell (llmctl infer, auto-execute, tracing)", function () {
  this.timeout(300000);
  let k: KernelModule<any>;
  before(async () => { k = await loadInfer(); assert.equal(loadDomainModel(k), ""); });
  const sh = (line: string, input = "") => {
    k.platform.takeOutput();
    if (input) k.platform.type(input);
    const status = k.exports.shellRun(line);
    return { status, out: k.platform.takeOutput() };
  };

  it("--json prints one object with the fields and never executes", () => {
    const r = sh("llmctl infer --json \"list the tasks\"");
    assert.equal(r.status, 0);
    const lines = r.out.trim().split(/\r?\n/);
    assert.equal(lines.length, 1, r.out);
    const j = JSON.parse(lines[0]);
    for (const f of ["question", "state", "answer", "command", "latency_ms", "prompt_tokens", "generated_tokens", "confidence"]) assert.ok(f in j, f);
    assert.equal(j.question, "list the tasks");
    assert.match(j.state, /^mem \d+\/\d+ frag \d+ big \d+[KM] oom \d+ ev \d+ sched \w+ run \d+ sw \d+ vda \d+ hit \d+ fs r[wo] net (up|down) uptime \d+[mhd] tasks \d+ trace \d+$/);
    assert.equal(j.command, "ps");
    assert.ok(j.prompt_tokens > 40 && j.generated_tokens > 3);
    assert.doesNotMatch(r.out, /Execute\?/);
  });

  it("Execute? [y/N]: n declines, y runs the command through the shell and shows its output", () => {
    const no = sh("llmctl infer list the tasks", "n\r");
    assert.match(no.out, /Suggested command: ps/);
    assert.match(no.out, /Execute\? \[y\/N\] n/);
    assert.match(no.out, /not executed/);
    assert.doesNotMatch(no.out, /exit status/);
    const yes = sh("llmctl infer list the tasks", "y\r");
    assert.match(yes.out, /Execute\? \[y\/N\] y/);
    assert.match(yes.out, /ID\s+NAME/);
    assert.match(yes.out, /\(exit status 0\)/);
  });

  it("auto-execute on runs allowlisted suggestions without asking; suggestions are checked before anything runs", () => {
    assert.match(sh("llmctl auto-execute").out, /auto-execute off; allowlist: .*memctl compact/);
    assert.equal(sh("llmctl auto-execute maybe").status, 1);
    assert.match(sh("llmctl auto-execute on").out, /auto-execute on/);
    const r = sh("llmctl infer what version is this");
    assert.match(r.out, /auto-execute: version/);
    assert.doesNotMatch(r.out, /Execute\?/);
    assert.match(r.out, /\(exit status 0\)/);
    sh("llmctl auto-execute off");
    for (const bad of ["rm /etc/motd", "poweroff", "reboot", "write /x y", "truncate /x 0", "panic", "schedctl policy fair", "ps -l; poweroff"]) {
      assert.equal(k.exports.isAllowed(bad), false, bad);
    }
    for (const good of ["ps", "memctl compact", "df", "sync"]) assert.equal(k.exports.isAllowed(good), true, good);
    assert.match(k.exports.problem("frobnicate now"), /does not exist \(no command 'frobnicate'\)/);
    assert.match(k.exports.problem("memctl frobnicate"), /memctl has no subcommand 'frobnicate'/);
    assert.match(k.exports.problem("echo \"unterminated"), /does not parse/);
    assert.equal(k.exports.problem("memctl compact"), "");
  });

  it("every infer is an llm decision in the trace; bad questions are one error line", () => {
    sh("tracectl clear");
    sh("llmctl infer --json how busy is the cpu");
    const t = sh("tracectl list");
    assert.match(t.out, /llm/);
    for (const [line, re] of [
      ["llmctl infer", /^error: empty question/],
      ["llmctl infer \"  \"", /^error: empty question/],
      ["llmctl infer combien de mémoire", /^error: the question has non-ASCII/],
      ["llmctl infer --model fancy hi", /^error: --model must be domain or keyword/],
    ] as [string, RegExp][]) {
      const r = sh(line);
      assert.equal(r.status, 1, line);
      const lines = r.out.trim().split(/\r?\n/);
      assert.equal(lines.length, 1, r.out);
      assert.match(lines[0], re, line);
    }
    const kw = JSON.parse(sh("llmctl infer --json --model keyword should I defragment memory").out.trim());
    assert.equal(kw.command, "memctl compact");
    assert.equal(kw.model, "keyword");
  });
});
