// The net_rx fuzz target reaches what it is meant to fuzz: its seed conversations (tests/fuzz/
// net_seeds.ts), through the harness's fix-ups (checksums, sequence numbers, the DHCP id), must
// get HTTP answers from the kernel's API, echoed bytes, a connected client and a DHCP lease.
// Without this a broken fix-up would leave the fuzzer knocking on checksums and still "pass".
import assert from "node:assert/strict";
import { replay } from "../../fuzz/replay.ts";
import { netSeeds } from "../../fuzz/net_seeds.ts";

function field(report: string, name: string): string {
  const m = new RegExp(`${name} (\\S+)`).exec(report);
  assert.ok(m, `no '${name}' in ${report}`);
  return m![1];
}

describe("fuzz target net_rx: the seeds reach the API, the echo service, the client and DHCP", function () {
  this.timeout(600_000); // the first compile of the targets takes a minute or two
  const seeds = netSeeds();
  const reports: string[] = [];

  before(async () => {
    for (const s of seeds) reports.push(await replay("net_rx", s));
  });

  it("every seed runs without a trap", () => {
    for (const r of reports) assert.match(r, /^ok \(frames \d+/);
  });

  it("the API answers: at least 12 seeds get a 2xx, the malformed ones a 4xx", () => {
    const ok = reports.filter((r) => Number(field(r, "2xx")) > 0).length;
    const bad = reports.filter((r) => Number(field(r, "4xx")) > 0).length;
    assert.ok(ok >= 12, `${ok} seeds got a 2xx:\n${reports.join("\n")}`);
    assert.ok(bad >= 2, `${bad} seeds got a 4xx`);
    assert.ok(reports.some((r) => field(r, "requests") === "2"), "the keep-alive seed made two requests");
  });

  it("the echo service returns the bytes, the client connects and reads, DHCP binds", () => {
    assert.ok(reports.some((r) => Number(field(r, "echoed")) >= 1405), reports.join("\n"));
    assert.ok(reports.some((r) => field(r, "client") === "connected" && Number(field(r, "read")) === 14), reports.join("\n"));
    assert.ok(reports.some((r) => /dhcp bound 10\.0\.2\.15/.test(r)), reports.join("\n"));
  });
});
