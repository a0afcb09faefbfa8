// Test entry for the network stack: two NetStacks wired back to back through a fake link
// that delays every frame, and (from a seeded generator) drops and reorders some of them.
// Scenarios run inside wasm and return what they observed; net.test.ts asserts on it.
import { Nic } from "../../../kernel/net/nic";
import { NetStack, setHoldBeforeAddress } from "../../../kernel/net/stack";
import { TcpState, stateName, setTimeWaitUs, setWindowScaling } from "../../../kernel/net/tcp";
import { Socket, ListenSocket, listenTcp, connectTcp } from "../../../kernel/net/socket";
import { parseIp, sumBytes, sumBytesReference, finishChecksum } from "../../../kernel/net/bytes";
import { Random } from "../../../kernel/lib/random";

class InFlight {
  constructor(public frame: Uint8Array, public at: u64) {}
}

/** One direction of the link is the peer's receive queue. */
class FakeNic extends Nic {
  inbox: Array<InFlight> = new Array<InFlight>(0);
  peer: FakeNic | null = null;
  up: bool = true;

  transmit(frame: Uint8Array): bool {
    this.counters.txFrames++;
    const p = this.peer!;
    if (rng.nextFloat() < lossRate) {
      dropped++;
      return true;
    }
    let at = now + delayUs;
    if (rng.nextFloat() < reorderRate) {
      at += <u64>rng.below(3 * delayUs + 1);
      reordered++;
    }
    p.inbox.push(new InFlight(frame.slice(0), at));
    delivered++;
    return true;
  }

  receive(): Uint8Array | null {
    for (let i = 0; i < this.inbox.length; i++) {
      if (this.inbox[i].at <= now) {
        const f = this.inbox[i].frame;
        this.inbox.splice(i, 1);
        this.counters.rxFrames++;
        return f;
      }
    }
    return null;
  }

  linkUp(): bool {
    return this.up;
  }
}

let rng = new Random(1);
let now: u64 = 1_000_000;
let delayUs: u64 = 1000;
let lossRate: f64 = 0;
let reorderRate: f64 = 0;
let dropped: i32 = 0;
let reordered: i32 = 0;
let delivered: i32 = 0;
export function reorderedFrames(): i32 { return reordered; }
export function droppedFrames(): i32 { return dropped; }

let nicA = new FakeNic("a0");
let nicB = new FakeNic("b0");
let a = new NetStack(nicA);
let b = new NetStack(nicB);
export function resetsSentB(): u64 { return b.counters.tcpResetsSent; }
export function echoRepliesSentB(): u64 { return b.counters.icmpEchoRepliesSent; }

export function setup(seed: u64, loss: f64, reorder: f64, delay: u64): void {
  rng = new Random(seed);
  lossRate = loss;
  reorderRate = reorder;
  delayUs = delay;
  dropped = 0;
  reordered = 0;
  delivered = 0;
  nicA = new FakeNic("a0");
  nicB = new FakeNic("b0");
  nicA.mac = 0x525400000001;
  nicB.mac = 0x525400000002;
  nicA.peer = nicB;
  nicB.peer = nicA;
  a = new NetStack(nicA);
  b = new NetStack(nicB);
  a.configure(<u32>parseIp("10.0.0.1"), 0xffffff00, 0);
  b.configure(<u32>parseIp("10.0.0.2"), 0xffffff00, 0);
  a.nowUs = now;
  b.nowUs = now;
  a.tcp.seed(seed * 3 + 1);
  b.tcp.seed(seed * 7 + 2);
}

/** Advances the fake clock by `us` and runs both stacks once. */
export function step(us: u64): void {
  now += us;
  a.poll(now);
  b.poll(now);
  a.tcp.flushAcks();
  b.tcp.flushAcks();
}

function addrB(): u32 {
  return b.address;
}

// ---- scenarios ----

let lastErrorText: string = "";
export function lastError(): string { return lastErrorText; }

/** Connects a -> b:port; returns the number of 1 ms steps to ESTABLISHED on both, -1 on failure. */
let listenB: ListenSocket | null = null;
let clientA: Socket | null = null;
let serverB: Socket | null = null;

export function handshake(port: u32, backlog: i32): i32 {
  listenB = listenTcp(b, port, backlog);
  clientA = connectTcp(a, addrB(), port);
  for (let i = 0; i < 20000; i++) {
    step(1000);
    if (serverB == null && listenB != null) serverB = listenB!.accept();
    if (clientA!.closed) {
      lastErrorText = clientA!.error;
      return -1;
    }
    if (clientA!.connected && serverB != null && serverB!.connected) {
      debugText = "handshake: client rtx " + clientA!.conn.retransmits.toString() + " rto " + clientA!.conn.rtoUs.toString() + "; ";
      return i + 1;
    }
  }
  return -1;
}

export function clientState(): string {
  return clientA == null ? "none" : clientA!.state;
}

export function serverState(): string {
  return serverB == null ? "none" : serverB!.state;
}

export function resetSockets(): void {
  listenB = null;
  clientA = null;
  serverB = null;
}

function pattern(i: i32, salt: u32): u8 {
  return <u8>((<u32>i * 2654435761 + salt) >> 13);
}

let transferSteps: i32 = 0;
let maxInFlight: i32 = 0;
let maxWindowSeen: i32 = 0;
let debugText = "";
export function debug(): string { return debugText; }
let zeroWindowSeen: bool = false;
export function sawZeroWindow(): bool { return zeroWindowSeen; }
export function timeoutsA(): u64 { return a.counters.tcpRetransmits - a.counters.tcpFastRetransmits; }
export function fastRetransmitsA(): u64 { return a.counters.tcpFastRetransmits; }
export function maxInFlightSeen(): i32 { return maxInFlight; }

/**
 * Sends `bytes` from a to b over the established pair (b reads at most `readPerStep` bytes a
 * step, 0 = everything); checks every byte. Returns bytes received intact, -1 on a mismatch.
 */
export function transfer(bytes: i32, readPerStep: i32, maxSteps: i32, pauseReadSteps: i32): i32 {
  const src = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) src[i] = pattern(i, 77);
  const buf = new Uint8Array(65536);
  let sent = 0;
  let received = 0;
  maxInFlight = 0;
  maxWindowSeen = 0;
  const c = clientA!.conn;
  for (let s = 0; s < maxSteps; s++) {
    if (sent < bytes) {
      const n = clientA!.write(src, sent, bytes - sent);
      if (n > 0) sent += n;
    }
    const before = c.retransmits;
    step(200);
    if (c.retransmits != before && debugText.length < 2000) {
      debugText += "step " + s.toString() + " una " + (c.sndUna - c.iss).toString() + " nxt " + (c.sndNxt - c.iss).toString() +
        " max " + (c.sndMax - c.iss).toString() + " wnd " + c.sndWnd.toString() + " cwnd " + c.cwnd.toString() +
        " buf " + c.sendBuf.length.toString() + " rto " + c.rtoUs.toString() + "; ";
    }
    const inFlight = <i32>(c.sndNxt - c.sndUna);
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    if (<i32>c.sndWnd > maxWindowSeen) maxWindowSeen = <i32>c.sndWnd;
    if (c.sndWnd == 0) zeroWindowSeen = true;
    if (inFlight > <i32>c.sndWnd + 1 && c.sndWnd > 0) {
      lastErrorText = "in flight " + inFlight.toString() + " > window " + c.sndWnd.toString();
      return -2;
    }
    if (s >= pauseReadSteps) {
      const want = readPerStep == 0 ? buf.length : readPerStep;
      const n = serverB!.read(buf, 0, want);
      for (let i = 0; i < n; i++) {
        if (buf[i] != pattern(received + i, 77)) {
          lastErrorText = "byte " + (received + i).toString() + " differs";
          return -1;
        }
      }
      received += n;
    }
    if (received == bytes) {
      transferSteps = s + 1;
      return received;
    }
  }
  transferSteps = maxSteps;
  lastErrorText = "sent " + sent.toString() + " received " + received.toString();
  return received;
}

export function clientRetransmits(): u64 {
  return clientA!.conn.retransmits;
}

export function clientSrttUs(): u64 {
  return clientA!.conn.srttUs;
}

export function clientRtoUs(): u64 {
  return clientA!.conn.rtoUs;
}

export function clientRttSamples(): u64 {
  return clientA!.conn.rttSamples;
}

/** Client closes first, then the server: returns "clientState/serverState" after `steps` ms. */
export function closeBoth(steps: i32): string {
  clientA!.close();
  for (let i = 0; i < 50; i++) step(1000);
  const mid = clientA!.state + "/" + serverB!.state + "/" + (serverB!.eof ? "eof" : "open");
  serverB!.close();
  for (let i = 0; i < steps; i++) step(1000);
  return mid + " -> " + clientA!.state + "/" + serverB!.state;
}

export function setTimeWait(us: u64): void {
  setTimeWaitUs(us);
}

export function connectionsA(): i32 {
  return a.tcp.conns.size;
}

export function connectionsB(): i32 {
  return b.tcp.conns.size;
}

/** Connect to a port nobody listens on; the error the client ends with. */
export function connectRefused(port: u32): string {
  const s = connectTcp(a, addrB(), port)!;
  for (let i = 0; i < 1000 && !s.closed; i++) step(1000);
  return s.closed ? s.error : "still " + s.state;
}

/** `count` SYNs against a listener with `backlog` that nobody accepts. Returns established clients. */
export function backlogFlood(port: u32, backlog: i32, count: i32): i32 {
  listenTcp(b, port, backlog);
  const clients = new Array<Socket>(0);
  for (let i = 0; i < count; i++) clients.push(connectTcp(a, addrB(), port)!);
  for (let i = 0; i < 3000; i++) step(1000);
  let established = 0;
  for (let i = 0; i < clients.length; i++) if (clients[i].connected) established++;
  return established;
}

export function backlogDrops(): u64 {
  return b.counters.tcpBacklogDrops;
}

/** `count` connections at once, each sends `bytes` and reads back an echo. Returns the ones that matched. */
export function manyConnections(port: u32, count: i32, bytes: i32): i32 {
  const l = listenTcp(b, port, count)!;
  const clients = new Array<Socket>(0);
  const servers = new Array<Socket>(0);
  for (let i = 0; i < count; i++) clients.push(connectTcp(a, addrB(), port)!);
  const got = new Array<i32>(count);
  const buf = new Uint8Array(4096);
  const msg = new Uint8Array(bytes);
  const wrote = new Array<bool>(count);
  for (let s = 0; s < 20000; s++) {
    step(500);
    let srv = l.accept();
    while (srv != null) {
      servers.push(srv);
      srv = l.accept();
    }
    for (let i = 0; i < servers.length; i++) {
      const n = servers[i].read(buf, 0, buf.length);
      if (n > 0) servers[i].write(buf, 0, n);
    }
    let done = 0;
    for (let i = 0; i < count; i++) {
      const c = clients[i];
      if (c.connected && !wrote[i]) {
        for (let j = 0; j < bytes; j++) msg[j] = pattern(j, <u32>i);
        if (c.write(msg, 0, bytes) == bytes) wrote[i] = true;
      }
      const n = c.read(buf, 0, buf.length);
      const base = got[i];
      for (let j = 0; j < n; j++) if (buf[j] == pattern(base + j, <u32>i)) got[i]++;
      if (got[i] == bytes) done++;
    }
    if (done == count) return done;
  }
  let done = 0;
  for (let i = 0; i < count; i++) if (got[i] == bytes) done++;
  return done;
}

/** Pings b from a; returns replies received. */
export function ping(count: i32): i32 {
  let replies = 0;
  for (let i = 0; i < count; i++) {
    a.icmp.sendEcho(addrB(), <u32>i, 56);
    for (let s = 0; s < 50; s++) {
      step(1000);
      const r = a.icmp.takeReply();
      if (r != null && r.sequence == <u32>i) {
        replies++;
        break;
      }
    }
  }
  return replies;
}

export function arpEntriesA(): i32 {
  return a.arp.validEntries().length;
}

/** Feeds `count` hostile frames into b: random bytes, truncated and mutated copies of real frames. */
export function hostileFrames(seed: u64, count: i32): void {
  const r = new Random(seed);
  for (let i = 0; i < count; i++) {
    const kind = <i32>r.below(4);
    let f: Uint8Array;
    if (kind == 0) {
      f = new Uint8Array(<i32>r.below(1600));
      for (let j = 0; j < f.length; j++) f[j] = <u8>r.next();
    } else if (kind == 1) {
      f = template.slice(0, <i32>r.below(template.length + 1));
    } else {
      f = template.slice(0);
      const flips = 1 + <i32>r.below(8);
      for (let j = 0; j < flips && f.length > 0; j++) f[<i32>r.below(f.length)] = <u8>r.next();
    }
    // make most of them reach the IP and TCP code: our MAC, IPv4 type
    if (kind >= 2 && f.length >= 14) {
      for (let j = 0; j < 6; j++) f[j] = <u8>(nicB.mac >> <u64>(8 * (5 - j)));
      f[12] = 8;
      f[13] = 0;
    }
    b.receiveFrame(f);
  }
  step(1000);
}

export function newBytes(n: i32): Uint8Array {
  return new Uint8Array(n);
}

/** The last frame a sent to b (a template for mutations), captured by sending one segment. */
let template = new Uint8Array(0);
/** Keeps the frame a just sent to b as the template for mutations; returns its length. */
export function captureFrame(): i32 {
  if (nicB.inbox.length > 0) template = nicB.inbox[nicB.inbox.length - 1].frame.slice(0);
  return template.length;
}

/** Reads and discards what the server has received; returns how many bytes. */
export function drainServer(): i32 {
  const buf = new Uint8Array(65536);
  let total = 0;
  for (let i = 0; i < 100; i++) {
    step(1000);
    total += serverB!.read(buf, 0, buf.length);
  }
  return total;
}

export function stepsOfLastTransfer(): i32 {
  return transferSteps;
}

export function sendFromClient(n: i32): void {
  const m = new Uint8Array(n);
  clientA!.write(m, 0, n);
}

export function countersB(): string {
  const c = b.counters;
  return "in=" + c.framesIn.toString() + " ipBad=" + c.ipBadHeader.toString() + " ipSum=" + c.ipBadChecksum.toString() +
    " tcpBad=" + c.tcpBad.toString() + " tcpSum=" + c.tcpBadChecksum.toString() + " frag=" + c.ipFragmentsDropped.toString();
}

export function stateOf(s: TcpState): string {
  return stateName(s);
}

/** Changes loss and reordering without rebuilding the stacks. */
export function setLinkFaults(seed: u64, loss: f64, reorder: f64): void {
  rng = new Random(seed * 101);
  lossRate = loss;
  reorderRate = reorder;
}

/**
 * A segment that races b's DHCP lease: b has no address yet when a's SYN arrives (a already
 * knows b's MAC, as a peer from before b's reboot does); b is configured `configureAfterUs`
 * later. Returns the microseconds from b's configure() to a's outcome (connected when b
 * listens on `port`, refused otherwise), -1 when none within 5 s; lastError() says which.
 */
export function raceAddress(port: u32, listen: bool, configureAfterUs: u64): i64 {
  const addr = <u32>parseIp("10.0.0.2");
  b.configure(0, 0, 0);
  if (listen) listenTcp(b, port, 4);
  a.arp.learn(addr, nicB.mac);
  const s = connectTcp(a, addr, port)!;
  for (let t: u64 = 0; t < configureAfterUs; t += 1000) step(1000);
  b.configure(addr, 0xffffff00, 0);
  const start = now;
  for (let i = 0; i < 5000; i++) {
    if (s.connected || s.closed) {
      lastErrorText = s.connected ? "connected" : s.error;
      return <i64>(now - start);
    }
    step(1000);
  }
  lastErrorText = "still " + s.state;
  return -1;
}

/** Holding of segments that arrive before the address (off by default in the kernel). */
export function setHolding(on: bool): void {
  setHoldBeforeAddress(on);
}

export function heldB(): u64 { return b.counters.ipHeldUnconfigured; }
export function heldReplayedB(): u64 { return b.counters.ipHeldReplayed; }
export function repliesToSourceMacB(): u64 { return b.counters.ipRepliesToSourceMac; }

/** Checksums of random buffers at every offset 0..7 and length 0..300 by sumBytes and the byte loop; returns mismatches. */
export function checksumMismatches(seed: u64): i32 {
  const r = new Random(seed);
  const buf = new Uint8Array(320);
  let bad = 0;
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < buf.length; i++) buf[i] = <u8>(round == 0 ? 0xff : r.below(256));
    for (let off = 0; off < 8; off++) {
      for (let len = 0; len <= 300; len++) {
        const start = <u32>r.below(0x10000);
        if (finishChecksum(sumBytes(buf, off, len, start)) != finishChecksum(sumBytesReference(buf, off, len, start))) bad++;
      }
    }
  }
  return bad;
}

export function setScaling(on: bool): void { setWindowScaling(on); }
/** "sndShift/rcvShift bigBuffers" of the client's connection. */
export function clientScale(): string {
  const c = clientA!.conn;
  return c.sndShift.toString() + "/" + c.rcvShift.toString() + (c.bigBuffers ? " big" : "");
}
export function clientWindows(): string {
  const c = clientA!.conn;
  return "cwnd " + c.cwnd.toString() + " ssthresh " + c.ssthresh.toString() + " sndWnd " + c.sndWnd.toString() + " sendBuf " + c.sendBuf.capacity.toString() + " srvRecv " + serverB!.conn.recvBuf.capacity.toString() + " maxWnd " + maxWindowSeen.toString();
}
