// The decision trace ring: record/resolve, eviction, JSON export, the file sink, tracectl.
import assert from "node:assert/strict";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";

const ENTRY = "tests/unit/ai/ai.entry.ts";
let k: KernelModule<any>;

function run(line: string): { status: number; out: string } {
  k.platform.takeOutput();
  const status = k.exports.shellRun(line);
  return { status, out: k.platform.takeOutput().replace(/\r\n/g, "\n") };
}

describe("decision trace ring", () => {
  before(async () => {
    k = await loadKernelModule(ENTRY);
  });

  it("records decisions with increasing ids and resolves their outcomes", () => {
    assert.equal(k.exports.sameSubsystemAgain(), k.exports.subsystemIndex(), "same name, same index");
    assert.match(run("tracectl list").out, /^no decisions recorded/);
    const a = k.exports.record(0.25, 0.5, 0.8, 0.3, 4);
    const b = k.exports.record(0.75, 1.0, 0.2, 0.9, 5);
    assert.equal(b, a + 1n);
    assert.equal(k.exports.resolve(a, 0.7), true);
    assert.equal(k.exports.resolve(999999n, 0.7), false);
    const doc = JSON.parse(k.exports.json(0));
    assert.equal(doc.format, "sis-decision-trace");
    assert.equal(doc.count, 2);
    const [ta, tb] = doc.traces;
    assert.equal(ta.id, Number(a));
    assert.equal(ta.subsystem, "test");
    assert.equal(ta.model_version, 7);
    assert.deepEqual(ta.features, { alpha: 0.25, beta: 0.5 });
    assert.equal(ta.output_name, "prob");
    assert.equal(ta.output, 0.8);
    assert.equal(ta.action_name, "choice");
    assert.equal(ta.action, 4);
    assert.equal(ta.confidence, 0.3);
    assert.equal(ta.outcome, 0.7);
    assert.equal(typeof ta.resolved_us, "number");
    assert.equal(tb.outcome, null);
    assert.equal(tb.resolved_us, null);
  });

  it("tracectl list, show and stats show the entries", () => {
    const id = k.exports.newest();
    let r = run("tracectl list --recent 1");
    assert.equal(r.status, 0);
    assert.match(r.out, /^ID +TIME\(ms\) +SUBSYSTEM +VER +OUTPUT +ACTION +CONF +OUTCOME\n/);
    assert.match(r.out, new RegExp(`^${id} +\\d+\\.\\d{3} +test +7 +0\\.2000 +choice 5 +0\\.900 +pending$`, "m"));
    assert.match(r.out, /\(1 of 2 held; ids 1\.\.2\)/);
    r = run("tracectl show 1");
    assert.match(r.out, /^decision 1\n/);
    assert.match(r.out, /alpha +0\.2500\n +beta +0\.5000/);
    assert.match(r.out, /outcome: +0\.7000 \(known at/);
    assert.match(run("tracectl show 2").out, /outcome: +pending/);
    assert.match(run("tracectl show 77").out, /^error: no decision with id 77 \(held: 1\.\.2\)/);
    assert.match(run("tracectl show x").out, /^error: bad trace id 'x'/);
    r = run("tracectl stats");
    assert.match(r.out, /^trace ring: 2 of 4096 entries held, 2 recorded since boot/);
    assert.match(r.out, /test +2 +1 +0 +2 +0\.7000 +0\.1000 +0\.6000/);
    assert.match(run("tracectl list --recent 0").out, /^error: --recent must be an integer from 1 to 4096/);
    assert.match(run("tracectl bogus").out, /^error: unknown tracectl subcommand 'bogus'/);
  });

  it("export: --serial prints JSON; --path needs a file system; a registered writer gets the data", () => {
    let r = run("tracectl export --recent 1 --serial");
    assert.equal(r.status, 0);
    const doc = JSON.parse(r.out);
    assert.equal(doc.count, 1);
    assert.equal(doc.traces[0].id, 2);
    r = run("tracectl export --path /trace.json");
    assert.equal(r.status, 1);
    assert.equal(r.out, "error: cannot write /trace.json: no file system mounted yet\n");
    assert.match(run("tracectl export").out, /^error: give exactly one of --path FILE and --serial/);
    k.exports.installWriter();
    r = run("tracectl export --path /tmp/t.json");
    assert.equal(r.status, 0);
    assert.equal(k.exports.lastWrittenPath(), "/tmp/t.json");
    assert.equal(JSON.parse(k.exports.lastWritten()).count, 2);
    assert.match(r.out, /^wrote \d+ bytes to \/tmp\/t\.json\n$/);
    k.exports.removeWriter();
  });

  it("keeps the last 4096 entries: older ids disappear, unresolved losses are counted", () => {
    const cap = k.exports.capacity();
    const first = k.exports.newest() + 1n;
    for (let i = 0; i < cap + 10; i++) k.exports.record(i / cap, 0, 0.5, 0.5, i);
    assert.equal(k.exports.held(), cap);
    const newest = k.exports.newest();
    assert.equal(k.exports.oldest(), newest - BigInt(cap) + 1n);
    assert.equal(k.exports.exists(first), false);
    assert.equal(k.exports.resolve(first, 1), false, "an overwritten entry cannot be resolved");
    assert.equal(k.exports.exists(newest), true);
    assert.ok(k.exports.lost() >= 10n);
    assert.equal(JSON.parse(k.exports.json(3)).count, 3);
  });

  it("clear forgets everything; ids keep counting", () => {
    const before = k.exports.newest();
    assert.match(run("tracectl clear").out, /^cleared 4096 decisions\n$/);
    assert.equal(k.exports.held(), 0);
    assert.equal(k.exports.exists(before), false);
    const id = k.exports.record(0, 0, 0, 0, 0);
    assert.equal(id, before + 1n);
    assert.equal(JSON.parse(k.exports.json(0)).count, 1);
  });
});
