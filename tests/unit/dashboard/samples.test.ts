// The dashboard's host side without QEMU: chart points computed from two /metrics scrapes (rates
// and per-interval means from counters, gaps where nothing was measured), the server's path
// checks, and the 5-minute window.
import assert from "node:assert/strict";
import { Sampler, parseMetrics } from "../../../host/dashboard/samples.ts";
import { pathProblem } from "../../../host/dashboard/server.ts";

function scrape(readBytes: number, writtenBytes: number, fairSum: number, fairCount: number, extra = ""): string {
  return [
    "# HELP sis_memory_free_bytes x", "# TYPE sis_memory_free_bytes gauge", "sis_memory_free_bytes 1048576",
    "sis_memory_fragmentation_ratio 0.25", "sis_oom_confidence 0.5",
    `sis_block_read_bytes_total{device="vda"} ${readBytes}`, `sis_block_written_bytes_total{device="vda"} ${writtenBytes}`,
    `sis_block_read_bytes_total{device="vdb"} 0`,
    `sis_sched_decision_latency_microseconds_sum{policy="fair"} ${fairSum}`,
    `sis_sched_decision_latency_microseconds_count{policy="fair"} ${fairCount}`,
    `sis_sched_decision_latency_microseconds_bucket{policy="fair",le="+Inf"} ${fairCount}`,
    extra, "",
  ].join("\n");
}

describe("dashboard: chart points from /metrics", () => {
  it("parses samples with labels", () => {
    const s = parseMetrics('a_total{x="1",y="two words"} 3\n# c\nb 4.5\n');
    assert.deepEqual(s, [{ name: "a_total", labels: { x: "1", y: "two words" }, value: 3 }, { name: "b", labels: {}, value: 4.5 }]);
  });

  it("leaves rates and means empty on the first scrape, then computes them from the counters' growth", () => {
    const sm = new Sampler();
    const a = sm.add(scrape(0, 0, 100, 10), 1_000_000);
    assert.equal(a.ioMiBps, null);
    assert.equal(a.latencyFairUs, null);
    assert.equal(a.freeMiB, 1);
    assert.equal(a.fragmentation, 0.25);
    const b = sm.add(scrape(2 << 20, 2 << 20, 160, 13), 1_002_000); // 4 MiB in 2 s; 3 decisions, 60 us
    assert.equal(b.ioMiBps, 2);
    assert.equal(b.latencyFairUs, 20);
    assert.equal(b.latencyAttentionUs, null, "no attention decision: a gap, not 0");
    const c = sm.add(scrape(2 << 20, 2 << 20, 160, 13), 1_003_000);
    assert.equal(c.ioMiBps, 0);
    assert.equal(c.latencyFairUs, null, "no decision in the interval");
    sm.restart(); // SIS rebooted: its counters start again from 0
    const d = sm.add(scrape(0, 0, 0, 0), 1_004_000);
    assert.equal(d.ioMiBps, null);
  });

  it("keeps the last 5 minutes", () => {
    const sm = new Sampler();
    for (let t = 0; t <= 400; t++) sm.add(scrape(0, 0, 0, 0), t * 1000);
    assert.equal(sm.points[0].t, 100_000);
    assert.equal(sm.points.length, 301);
  });

  it("refuses paths off the system disk before asking SIS", () => {
    assert.equal(pathProblem("/etc/api-token"), "");
    assert.equal(pathProblem("/grüße aus SIS ✓.txt"), "");
    assert.match(pathProblem("etc"), /absolute/);
    assert.match(pathProblem("/a/../../etc"), /'\.\.' is not allowed/);
    assert.match(pathProblem("/tmp/x"), /RAM/);
    assert.match(pathProblem("/a\0b"), /NUL/);
    assert.match(pathProblem("/" + "x".repeat(1100)), /longer than 1024/);
  });
});
