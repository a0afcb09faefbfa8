// The network stack on Node: two stacks back to back through a fake link (delay, seeded loss
// and reordering). Handshake, transfer with loss/reordering checked byte for byte, the
// receive window and zero-window probing, RTO from measured RTT, FIN/TIME_WAIT, RST for a
// closed port, the listen backlog, many connections, ping/ARP, and hostile frames.
import assert from "node:assert/strict";
import { loadKernelModule } from "../../host/compile.ts";

const ENTRY = "tests/unit/net/net.entry.ts";
let k: any;

before(async function () {
  this.timeout(120000);
  k = (await loadKernelModule(ENTRY)).exports;
});

describe("net: TCP back to back", () => {
  it("completes the three-way handshake", () => {
    k.setup(1n, 0, 0, 1000n);
    k.resetSockets();
    const steps = k.handshake(80, 8);
    assert.ok(steps > 0 && steps < 10, `handshake took ${steps} steps (${k.lastError()})`);
    assert.equal(k.clientState(), "ESTABLISHED");
    assert.equal(k.serverState(), "ESTABLISHED");
    assert.equal(k.arpEntriesA(), 1, "a learned b's MAC");
  });

  it("transfers 1 MiB intact on a clean link, RTO from the measured RTT", () => {
    k.setup(2n, 0, 0, 1000n);
    k.resetSockets();
    assert.ok(k.handshake(80, 8) > 0);
    assert.equal(k.transfer(1 << 20, 0, 200000, 0), 1 << 20, k.lastError());
    assert.equal(k.clientRetransmits(), 0n, `timeouts ${k.timeoutsA()} fast ${k.fastRetransmitsA()} ${k.debug()} steps ${k.stepsOfLastTransfer()}`);
    const srtt = Number(k.clientSrttUs());
    assert.ok(k.clientRttSamples() > 5n);
    // one-way delay 1 ms plus up to one 200 us step each way
    assert.ok(srtt >= 2000 && srtt <= 4000, `srtt ${srtt} us`);
    assert.equal(Number(k.clientRtoUs()), 200000, "RTO clamps at the 200 ms minimum for a 2 ms RTT");
  });

  for (const [seed, loss, reorder] of [[3n, 0.05, 0], [4n, 0, 0.2], [5n, 0.1, 0.1], [6n, 0.02, 0.3]] as [bigint, number, number][]) {
    it(`transfers 256 KiB intact with ${loss * 100}% loss and ${reorder * 100}% reordering (seed ${seed})`, function () {
      this.timeout(60000);
      k.setup(seed, 0, 0, 1000n);
      k.resetSockets();
      assert.ok(k.handshake(80, 8) > 0);
      setLoss(seed, loss, reorder);
      assert.equal(k.transfer(256 << 10, 0, 400000, 0), 256 << 10, k.lastError());
      if (loss > 0) assert.ok(k.clientRetransmits() > 0n, "losses were repaired by retransmission");
      assert.ok(k.reorderedFrames() > 0 || reorder === 0);
    });
  }

  it("never sends beyond the receive window; a reader that pauses makes the window close and reopen", function () {
    this.timeout(60000);
    k.setup(7n, 0, 0, 1000n);
    k.resetSockets();
    assert.ok(k.handshake(80, 8) > 0);
    // b reads nothing for 3000 steps (600 ms): the 64 KiB buffer fills, the window goes to 0
    assert.equal(k.transfer(300 << 10, 4096, 400000, 3000), 300 << 10, k.lastError());
    assert.ok(k.maxInFlightSeen() <= (256 << 10) + 1, `in flight ${k.maxInFlightSeen()}`);
    assert.ok(k.sawZeroWindow(), "the window closed");
  });

  it("scales the window (RFC 7323) when both SYNs offer it: more than 64 KiB in flight, a long link filled faster", function () {
    this.timeout(60000);
    const run = (scaling: boolean) => {
      k.setScaling(scaling);
      k.setup(23n, 0, 0, 5000n); // 5 ms each way
      k.resetSockets();
      assert.ok(k.handshake(80, 8) > 0);
      const scale = k.clientScale();
      assert.equal(k.transfer(2 << 20, 0, 400000, 0), 2 << 20, k.lastError());
      return { steps: k.stepsOfLastTransfer(), inFlight: k.maxInFlightSeen(), scale };
    };
    try {
      const off = run(false);
      const on = run(true);
      console.log(`      2 MiB over a 10 ms RTT: ${off.steps} steps without scaling (max ${off.inFlight} in flight), ${on.steps} with (max ${on.inFlight})`);
      assert.equal(off.scale, "0/0");
      assert.equal(on.scale, "2/2 big");
      assert.ok(off.inFlight <= 65536, `without scaling ${off.inFlight} in flight`);
      assert.ok(on.inFlight > 65536, `with scaling only ${on.inFlight} in flight`);
      assert.ok(on.steps * 2 < off.steps, `2 MiB in ${on.steps} steps with scaling, ${off.steps} without`);
    } finally {
      k.setScaling(true);
    }
  });

  it("closes with FIN both ways; the active closer waits in TIME_WAIT, then both are gone", () => {
    k.setup(8n, 0, 0, 1000n);
    k.resetSockets();
    k.setTimeWait(2_000_000n);
    assert.ok(k.handshake(80, 8) > 0);
    const r = k.closeBoth(100);
    assert.equal(r, "FIN_WAIT_2/CLOSE_WAIT/eof -> TIME_WAIT/CLOSED");
    assert.equal(k.connectionsA(), 1);
    for (let i = 0; i < 2100; i++) k.step(1000n);
    assert.equal(k.connectionsA(), 0, "TIME_WAIT expired");
    assert.equal(k.connectionsB(), 0);
  });

  it("gets RST from a closed port: connection refused", () => {
    k.setup(9n, 0, 0, 1000n);
    k.resetSockets();
    assert.equal(k.connectRefused(81), "connection refused");
    assert.ok(k.resetsSentB() >= 1n);
  });

  it("answers a segment that arrived before DHCP gave it an address as soon as it has one", () => {
    // b reboots: a's segments reach it before its lease; without holding them, a hears
    // nothing until its own retransmission timeout (1 s for a SYN)
    // off (the kernel's default, kernel/net/README.md): the RST waits for a's retransmission
    k.setHolding(false);
    k.setup(20n, 0, 0, 1000n);
    k.resetSockets();
    const late = Number(k.raceAddress(81, false, 50000n));
    assert.equal(k.lastError(), "connection refused");
    assert.ok(late > 500000, `without holding, RST ${late} us after the address`);
    assert.equal(k.heldB(), 0n);
    k.setHolding(true);
    k.setup(21n, 0, 0, 1000n);
    k.resetSockets();
    const refused = Number(k.raceAddress(82, false, 50000n));
    assert.equal(k.lastError(), "connection refused");
    assert.ok(refused >= 0 && refused < 20000, `RST ${refused} us after the address`);
    assert.ok(k.heldB() >= 1n && k.heldReplayedB() >= 1n);
    assert.ok(k.repliesToSourceMacB() >= 1n, "the RST went to the SYN's source MAC without waiting for ARP");
    k.setup(22n, 0, 0, 1000n);
    k.resetSockets();
    const connected = Number(k.raceAddress(83, true, 50000n));
    assert.equal(k.lastError(), "connected");
    assert.ok(connected >= 0 && connected < 20000, `SYN-ACK ${connected} us after the address`);
    k.setHolding(false);
  });

  it("bounds a SYN flood by the listen backlog", () => {
    k.setup(10n, 0, 0, 1000n);
    k.resetSockets();
    const established = k.backlogFlood(8080, 4, 30);
    assert.equal(established, 4, "only the backlog's worth completed");
    assert.ok(k.backlogDrops() >= 20n, `drops ${k.backlogDrops()}`);
  });

  it("runs 100 connections at once with loss, each echo checked", function () {
    this.timeout(60000);
    k.setup(11n, 0, 0, 1000n);
    setLoss(11n, 0.02, 0.05);
    k.resetSockets();
    assert.equal(k.manyConnections(9000, 100, 3000), 100);
  });

  it("answers ping and learns ARP", () => {
    k.setup(12n, 0, 0, 1000n);
    assert.equal(k.ping(4), 4);
    assert.equal(k.echoRepliesSentB(), 4n);
  });
});

describe("net: checksum", () => {
  it("the 8-bytes-a-step Internet checksum equals the byte-at-a-time one at every offset and length", () => {
    assert.equal(k.checksumMismatches(31n), 0);
  });
});

describe("net: hostile frames", () => {
  it("takes 20000 random, truncated and mutated frames without a trap and keeps working", function () {
    this.timeout(60000);
    k.setup(13n, 0, 0, 1000n);
    k.resetSockets();
    const hs = k.handshake(80, 8);
    assert.ok(hs > 0, `handshake ${hs} ${k.lastError()} ${k.clientState()} ${k.serverState()}`);
    k.sendFromClient(100);
    assert.ok(k.captureFrame() > 54);
    for (let seed = 1n; seed <= 20n; seed++) k.hostileFrames(seed, 1000);
    const c = k.countersB();
    assert.match(c, /ipSum=[1-9]/);
    assert.match(c, /tcpSum=[1-9]/);
    // the connection still works afterwards
    assert.equal(k.drainServer(), 100, "the one real segment arrived once");
    assert.equal(k.transfer(64 << 10, 0, 100000, 0), 64 << 10, k.lastError());
  });
});

function setLoss(seed: bigint, loss: number, reorder: number) {
  k.setLinkFaults(seed, loss, reorder);
}
