// make report: the page is made from the two result files only, names commit and machine,
// lists where SIS is behind, and says so when an input is missing instead of inventing it.
import assert from "node:assert/strict";
import { renderReport, resultsSection, behindRows } from "../../../bench/report.ts";
import { compareRows } from "../../../bench/linux/compare.ts";

describe("bench: make report", function () {
  const rows = compareRows([
    { name: "rand_read_4k_qd32", linux: [22562], sis: [10625] },
    { name: "ext4_create_1000_sync", linux: [0.994], sis: [3.15] },
    { name: "seq_read_1m_qd1", linux: [828], sis: [2828] },
  ]);

  it("renders compare.json and results.jsonl", function () {
    const md = renderReport({
      compare: { commit: "abc1234", machine: "Test CPU x2", linux: "6.1.0-57-arm64", rounds: 3, rows },
      results: [{ name: "blk.seq_read.qd1", unit: "MB/s", suite: "blk", where: "qemu", p50: 1049.25, p99: 1100, n: 3 }],
      resultsMeta: "From results.jsonl.", chart: "perf/compare.svg",
    });
    assert.match(md, /commit `abc1234` on Test CPU x2/);
    assert.match(md, /\| seq_read_1m_qd1 \| MB\/s \| 828 \| 2,828 \| 3\.42 \|/);
    assert.match(md, /SIS is behind on 2 row\(s\): ext4_create_1000_sync \(3\.17x\), rand_read_4k_qd32 \(2\.12x\)/);
    assert.match(md, /!\[ratio chart\]\(perf\/compare\.svg\)/);
    assert.match(md, /### blk\n\n\| name \| where \| unit \| p50 \| p99 \| n \|\n\| --- \| --- \| --- \| ---: \| ---: \| ---: \|\n\| blk\.seq_read\.qd1 \| qemu \| MB\/s \| 1,049 \| 1,100 \| 3 \|/);
  });

  it("says what is missing", function () {
    const md = renderReport({ compare: null, results: [], resultsMeta: "", chart: null });
    assert.match(md, /No `build\/bench\/compare\.json`: run `make bench-linux`/);
    assert.match(resultsSection([]), /run `make bench`/);
    assert.deepEqual(behindRows(rows).map((r) => r.name), ["ext4_create_1000_sync", "rand_read_4k_qd32"]);
  });
});
