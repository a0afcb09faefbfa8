// The scheduler in QEMU: a mixed workload runs in the background while the shell keeps
// answering; ps, kill, schedctl (switching to the attention policy mid-run) and tracectl
// behave; the summary arrives asynchronously with a fresh prompt.
import assert from "node:assert/strict";
import * as path from "node:path";
import { ROOT } from "../../host/qemu.ts";
import { bootForSuite, scratchCopy } from "./helpers.ts";

describe("target: scheduler, tasks and decision tracing", function () {
  this.timeout(120000);
  const systemDisk = scratchCopy(path.join(ROOT, "build/disk.img"), "disk.img");
  const qemu = bootForSuite({ systemDisk });
  let cpuTaskId = 0;

  it("starts a mixed workload and returns to the prompt at once", async () => {
    const s = qemu.get();
    const t = Date.now();
    const out = await s.run("stresstest mixed --cpu-tasks 2 --io-tasks 2 --interactive-tasks 2 --seconds 4 --seed 7");
    assert.match(out, /^started workload 1: mixed \(2 cpu, 2 io, 2 interactive, 4\.0 s, seed 7\) \(6 tasks\) under the fair policy; results at the end\n$/);
    assert.ok(Date.now() - t < 2000, `took ${Date.now() - t} ms`);
  });

  it("the shell answers while the tasks run; ps shows them with accounting", async () => {
    const s = qemu.get();
    await new Promise((r) => setTimeout(r, 1500)); // past the arrivals (first 20% of 4 s)
    let worst = 0;
    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      assert.equal(await s.run(`echo alive${i}`), `alive${i}\n`);
      worst = Math.max(worst, Date.now() - t);
    }
    console.log(`      echo round trip while 6 tasks run: worst ${worst} ms`);
    assert.ok(worst < 1000, `echo took ${worst} ms`);
    const ps = await s.run("ps");
    const rows = ps.split("\n").filter((l) => /^\d+ +(cpu|io|int)\d/.test(l));
    assert.equal(rows.length, 6, ps);
    assert.match(ps, /^\d+ +io\d +io +(blocked-io|runnable|running) +0 +\d+\.\d +\d+\.\d +\d+ +\d+ +\d+\.\d +1$/m);
    const cpu = ps.match(/^(\d+) +cpu0 +cpu +runnable +0 +(\d+\.\d) +\d+\.\d +(\d+)/m);
    assert.ok(cpu, ps);
    assert.ok(Number(cpu![2]) > 0 && Number(cpu![3]) > 0, "cpu0 has run");
    cpuTaskId = Number(cpu![1]);
  });

  it("schedctl switches to the attention policy mid-run; kill ends a task; bad ids fail", async () => {
    const s = qemu.get();
    assert.match(await s.run("schedctl policy heuristic"), /^scheduler policy: heuristic \(was fair\)/);
    assert.match(await s.run("schedctl policy round-robin"), /^error: unknown policy 'round-robin' \(fair, attention or heuristic\)\n$/);
    assert.match(await s.run("schedctl transformer on"), /^scheduler policy: attention/);
    assert.match(await s.run(`kill ${cpuTaskId}`), new RegExp(`^killed task ${cpuTaskId} \\(cpu0\\)\n$`));
    assert.doesNotMatch(await s.run("ps"), /cpu0/);
    assert.equal(await s.run("kill 9999"), "error: no task with id 9999\n");
    assert.equal(await s.run("kill -3"), "error: bad task id '-3'\n");
    await new Promise((r) => setTimeout(r, 500));
    const stats = await s.run("schedctl stats");
    assert.match(stats, /^attention scheduler: on; model version \d+/);
    assert.match(stats, /top tasks by score \(now, against the current history\):\n +ID +NAME +KIND +SCORE/);
    assert.match(stats, /attention: p50 \d+\.\d\d us, (p99|max) \d+\.\d\d us over the last \d+ picks \(\d+ since boot\): \d+\.\d candidates on average, \d+ interrupted/);
    assert.match(stats, /policy switches: 2; starvation bound/);
    assert.match(await s.run("tracectl stats"), /^sched-policy +2 /m);
  });

  it("prints the summary asynchronously when the workload ends, followed by a prompt", async () => {
    const s = qemu.get();
    const m = await s.waitFor(/policy fair: 5\/6 tasks done, 1 killed, makespan (\d+\.\d+) s[\s\S]*?\r\nsis> /, 60000);
    const text = m[0];
    assert.match(text, /context switches: \d+ \(\d+ dispatches\)/);
    assert.match(text, /turnaround: mean \d+\.\d\d ms, max \d+\.\d\d ms \(n=\d+\)/);
    assert.match(text, /interactive response (p99|max) \d+\.\d\d ms \(n=\d+\)/);
    assert.match(text, /throughput: \d+\.\d\d tasks\/s, \d+ I\/O ops/);
    assert.match(await s.run("echo after"), /^after\n$/);
    assert.doesNotMatch(await s.run("ps"), /cpu1|io0|int0/, "the workload's tasks were reaped");
  });

  it("tracectl lists, shows, summarises and exports the scheduler's decisions", async () => {
    const s = qemu.get();
    const stats = await s.run("tracectl stats");
    const row = stats.match(/^sched +(\d+) +(\d+) +(\d+)/m);
    assert.ok(row, stats);
    assert.ok(Number(row![1]) > 10 && Number(row![2]) > 10, stats);
    const list = await s.run("tracectl list --recent 3");
    const ids = [...list.matchAll(/^(\d+) +\d+\.\d{3} +sched +\d+ +\d\.\d{4} +task \d+/gm)].map((x) => Number(x[1]));
    assert.equal(ids.length, 3, list);
    assert.match(await s.run(`tracectl show ${ids[2]}`), /subsystem: +sched\n[\s\S]*base +\d\.\d{4}\n +burst_used/);
    const doc = JSON.parse(await s.run("tracectl export --recent 5 --serial"));
    assert.equal(doc.count, 5);
    for (const t of doc.traces) {
      assert.equal(t.subsystem, "sched");
      assert.deepEqual(Object.keys(t.features), ["base", "burst_used", "predictor_spread", "burst_deviation", "runnable"]);
      assert.ok(t.output >= 0 && t.output <= 1);
    }
    // the system disk is mounted at /: the export is a real file, read back and parsed
    assert.match(await s.run("tracectl export --recent 4 --path /tmp/traces.json"), /^wrote \d+ bytes to \/tmp\/traces\.json\n$/);
    const file = JSON.parse(await s.run("cat /tmp/traces.json"));
    assert.equal(file.count, 4);
    assert.equal(file.traces[0].subsystem, "sched");
    assert.match(await s.run("tracectl export --path /no/such/dir/t.json"), /^error: cannot write \/no\/such\/dir\/t\.json: no such file or directory\n$/);
    assert.match(await s.run("schedctl set-lr 5"), /^error: learning rate must be a number with 0 < X <= 1/);
    assert.match(await s.run("schedctl transformer off"), /^scheduler policy: fair/);
    assert.match(await s.run("ps"), /ai-trainer +ai +(blocked-event|runnable) +10/);
  });

  it("--wait blocks the shell until Ctrl-C; typed-ahead input runs afterwards", async () => {
    const s = qemu.get();
    const mark = s.serialLog.length;
    s.type("stresstest cpu --tasks 2 --seconds 60 --wait\r");
    await s.waitFor(/running workload \d+: cpu \(2 cpu, 60\.0 s, seed 1\) \(2 tasks\) under the fair policy\.\.\.\r\n/, 30000, mark);
    await new Promise((r) => setTimeout(r, 300));
    s.type("echo typed-ahead\r");
    await new Promise((r) => setTimeout(r, 300));
    s.type("\x03");
    const m = await s.waitFor(/policy fair: 0\/2 tasks done, 2 killed \(interrupted\)[\s\S]*?sis> echo typed-ahead\r\ntyped-ahead\r\nsis> /, 30000, mark);
    assert.ok(m);
    assert.doesNotMatch(await s.run("ps"), / cpu0 /);
  });
});
