// make report: the page is made from the two result files only, names commit and machine,
// lists where SIS is behind, and says so when an input is missing instead of inventing it.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderReport, resultsSection, behindRows, profilesSection } from "../../../bench/report.ts";
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

  it("lists make profile's flame graphs with their top functions and overhead", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sis-report-"));
    try {
      const prof = path.join(dir, "profile"), docs = path.join(dir, "docs");
      fs.mkdirSync(prof);
      fs.writeFileSync(path.join(prof, "x.folded"), "kmain;a;b 3\nkmain;a 1\n");
      fs.writeFileSync(path.join(prof, "x.svg"), "<svg/>");
      fs.writeFileSync(path.join(prof, "x.txt"), "$ bench fs create /mnt\nstopped: 4 samples\n");
      fs.writeFileSync(path.join(prof, "x.overhead.json"), JSON.stringify({ hz: 10000, overhead_pct: 12.5, median_on_ms: 1125, median_off_ms: 1000,
        rounds: 8, per_sample_us: 12.5, default_hz: 997, overhead_pct_at_default_hz: 1.25 }));
      const md = profilesSection(prof, docs)!;
      assert.match(md, /### x\n\n`bench fs create \/mnt`, 4 samples/);
      assert.match(md, /\| b \| 75\.0 \| 75\.0 \|\n\| a \| 25\.0 \| 100\.0 \|/);
      assert.match(md, /Overhead at 10000 Hz: 12\.5% .*; 12\.5 us per sample, 1\.25% at 997 Hz\./);
      assert.ok(fs.existsSync(path.join(docs, "perf/x.svg")));
      assert.equal(profilesSection(path.join(dir, "none"), docs), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
