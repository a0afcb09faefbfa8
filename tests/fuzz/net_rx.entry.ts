// The net_rx fuzz target: arbitrary Ethernet frames into one network stack (kernel/net) with
// the kernel's own HTTP API server (ApiHandler: /metrics, /api/state, /api/files, /api/bytes,
// /api/shell), a TCP echo service, an active client connection and, in DHCP mode, the DHCP
// client. A hostile packet must never trap, abort or panic the kernel.
//
// Input: byte 0 = mode (bit 0: start unconfigured with DHCP running, else 10.0.2.15/24 static),
// then records [flags][dt][length lo][length hi][length bytes], one frame each. The fuzzer cannot
// compute checksums or guess sequence numbers, so flags ask the harness to fix fields up, as the
// ext4 mutator fixes metadata checksums (a flag left clear keeps the fuzzer's bytes):
//   bit 0  Ethernet destination = our MAC, source = the peer's
//   bit 1  Ethernet type = IPv4
//   bit 2  IPv4 header: version 4, total length = the frame's, destination = ours (bit 6:
//          broadcast), header checksum
//   bit 3  TCP / UDP / ICMP checksum over the IPv4 payload
//   bit 4  TCP: acknowledgment = the end of the last segment the stack sent, sequence = its ack;
//          a destination port 0 becomes that segment's connection (ports swapped)
//   bit 5  UDP: the DHCP transaction id = the client's
// dt: the clock moves dt^2 ms before the frame (timers: retransmission, TIME_WAIT, DHCP retry).
import { Nic } from "../../kernel/net/nic";
import { NetStack } from "../../kernel/net/stack";
import { DhcpClient } from "../../kernel/net/dhcp";
import { HttpServer } from "../../kernel/net/http";
import { ApiHandler, setApiToken } from "../../kernel/net/api";
import { listenTcp, connectTcp, Socket, ListenSocket } from "../../kernel/net/socket";
import { get16, get32, put16, put32, putMac, sumBytes, finishChecksum, pseudoHeaderSum } from "../../kernel/net/bytes";

const OUR_MAC: u64 = 0x525400123456;
const PEER_MAC: u64 = 0x525400000002;
const OUR_IP: u32 = 0x0a00020f; // 10.0.2.15
const PEER_IP: u32 = 0x0a000202; // 10.0.2.2
const MAX_FRAME: i32 = 9216;

/** The link: frames come from the input; what the stack sends is looked at, then dropped. */
class FuzzNic extends Nic {
  pending: Uint8Array | null = null;
  lastSeqEnd: u32 = 0;
  lastAck: u32 = 0;
  lastSrcPort: u32 = 0;
  lastDstPort: u32 = 0;
  sentTcp: bool = false;

  transmit(frame: Uint8Array): bool {
    this.counters.txFrames++;
    // remember where the stack's TCP byte stream is, for flag bit 4
    if (frame.length >= 54 && get16(frame, 12) == 0x0800 && frame[23] == 6) {
      const ihl = <i32>(frame[14] & 15) * 4;
      const t = 14 + ihl;
      if (t + 20 <= frame.length) {
        const total = <i32>get16(frame, 16);
        const dataOff = <i32>(frame[t + 12] >> 4) * 4;
        const payload = max(0, total - ihl - dataOff);
        const flags = frame[t + 13];
        this.lastSeqEnd = get32(frame, t + 4) + <u32>payload + ((flags & 2) != 0 ? 1 : 0) + ((flags & 1) != 0 ? 1 : 0);
        this.lastAck = get32(frame, t + 8);
        this.lastSrcPort = get16(frame, t);
        this.lastDstPort = get16(frame, t + 2);
        this.sentTcp = true;
      }
    }
    return true;
  }

  receive(): Uint8Array | null {
    const f = this.pending;
    this.pending = null;
    return f;
  }

  linkUp(): bool {
    return true;
  }
}

let nowUs: u64 = 1_000_000;
let report = "";

/** What the last input did (the unit test checks the seeds reach the API, DHCP and the apps). */
export function lastNetReport(): string {
  return report;
}
function clock(): u64 {
  nowUs += 1;
  return nowUs;
}

function fixUp(frame: Uint8Array, flags: u32, nic: FuzzNic, dhcp: DhcpClient | null): void {
  const n = frame.length;
  if ((flags & 1) != 0 && n >= 12) {
    putMac(frame, 0, OUR_MAC);
    putMac(frame, 6, PEER_MAC);
  }
  if ((flags & 2) != 0 && n >= 14) put16(frame, 12, 0x0800);
  if (n < 34) return;
  let ihl = <i32>(frame[14] & 15) * 4;
  if ((flags & 4) != 0) {
    if (ihl < 20) ihl = 20;
    if (14 + ihl > n) ihl = 20;
    frame[14] = <u8>(0x40 | (ihl >> 2));
    put16(frame, 16, <u32>(n - 14));
    put32(frame, 30, (flags & 64) != 0 ? 0xffffffff : OUR_IP);
    put16(frame, 24, 0);
    put16(frame, 24, finishChecksum(sumBytes(frame, 14, ihl, 0)));
  }
  const t = 14 + ihl;
  const total = min(<i32>get16(frame, 16), n - 14);
  const length = total - ihl;
  if (length < 8 || t + length > n) return;
  const proto = <u32>frame[23];
  if (proto == 6 && length >= 20) {
    if ((flags & 16) != 0 && nic.sentTcp) {
      if (get16(frame, t + 2) == 0) {
        // to the connection the stack last sent on (its own ephemeral port is not guessable)
        put16(frame, t, nic.lastDstPort);
        put16(frame, t + 2, nic.lastSrcPort);
      }
      put32(frame, t + 4, nic.lastAck);
      put32(frame, t + 8, nic.lastSeqEnd);
    }
    if ((flags & 8) != 0) {
      put16(frame, t + 16, 0);
      const sum = sumBytes(frame, t, length, pseudoHeaderSum(get32(frame, 26), get32(frame, 30), 6, <u32>length));
      put16(frame, t + 16, finishChecksum(sum));
    }
  } else if (proto == 17) {
    if ((flags & 32) != 0 && dhcp != null && length >= 8 + 240) put32(frame, t + 8 + 4, dhcp.xid);
    if ((flags & 8) != 0) {
      put16(frame, t + 6, 0);
      const udpLength = min(<i32>get16(frame, t + 4), length);
      const sum = sumBytes(frame, t, udpLength, pseudoHeaderSum(get32(frame, 26), get32(frame, 30), 17, <u32>udpLength));
      const c = finishChecksum(sum);
      put16(frame, t + 6, c == 0 ? 0xffff : c);
    }
  } else if (proto == 1 && (flags & 8) != 0) {
    put16(frame, t + 2, 0);
    put16(frame, t + 2, finishChecksum(sumBytes(frame, t, length, 0)));
  }
}

/** What the applications on the stack do each pass: echo on port 7, a client that talks. */
class Apps {
  echoConns: Array<Socket> = new Array<Socket>(0);
  echoed: i32 = 0;
  clientConnected: bool = false;
  clientRead: i32 = 0;
  buf: Uint8Array = new Uint8Array(4096);
  constructor(public echo: ListenSocket | null, public client: Socket | null) {}

  run(): void {
    const l = this.echo;
    if (l != null) {
      let s = l.accept();
      while (s != null) {
        if (this.echoConns.length < 8) this.echoConns.push(s);
        else s.abort();
        s = l.accept();
      }
    }
    for (let i = 0; i < this.echoConns.length; i++) {
      const s = this.echoConns[i];
      const k = s.read(this.buf, 0, min(this.buf.length, s.writable));
      if (k > 0) this.echoed += max(0, s.write(this.buf, 0, k));
      if (s.eof) s.close();
    }
    const c = this.client;
    if (c != null) {
      if (c.connected) this.clientConnected = true;
      if (c.connected && c.writable > 16) c.write(this.buf, 0, 16);
      this.clientRead += max(0, c.read(this.buf, 0, this.buf.length));
      if (c.eof) c.close();
    }
  }
}

/** Runs one input (inputBuffer/inputLength from targets.entry.ts). */
export function runNetInput(input: usize, length: i32): i32 {
  nowUs = 1_000_000;
  const nic = new FuzzNic("fz0");
  nic.mac = OUR_MAC;
  const stack = new NetStack(nic);
  stack.nowUs = nowUs;
  stack.tcp.seed(1);
  const mode = length > 0 ? <u32>load<u8>(input) : 0;
  let dhcp: DhcpClient | null = null;
  if ((mode & 1) != 0) {
    dhcp = new DhcpClient(stack);
    dhcp.start();
  } else {
    stack.configure(OUR_IP, 0xffffff00, PEER_IP);
  }
  setApiToken("fuzz-token"); // the seeds' Authorization header, so /api/files and /api/shell are reached
  const api = new HttpServer(listenTcp(stack, 80, 16)!, new ApiHandler(), clock);
  const apps = new Apps(listenTcp(stack, 7, 8), stack.configured ? connectTcp(stack, PEER_IP, 5555) : null);

  let at = 1;
  let frames = 0;
  while (at + 4 <= length && frames < 256) {
    const flags = <u32>load<u8>(input + <usize>at);
    const dt = <u64>load<u8>(input + <usize>at + 1);
    let n = <i32>load<u8>(input + <usize>at + 2) | (<i32>load<u8>(input + <usize>at + 3) << 8);
    at += 4;
    n = min(min(n, length - at), MAX_FRAME);
    const frame = new Uint8Array(n);
    memory.copy(frame.dataStart, input + <usize>at, <usize>n);
    at += n;
    frames++;
    fixUp(frame, flags, nic, dhcp);
    nowUs += dt * dt * 1000;
    nic.pending = frame;
    pass(stack, dhcp, api, apps);
    pass(stack, dhcp, api, apps); // what the frame made the stack queue goes out before the next fix-up
  }
  // let every timer run out: retransmissions give up, TIME_WAIT ends, DHCP retries
  for (let i = 0; i < 40; i++) {
    nowUs += 5_000_000;
    pass(stack, dhcp, api, apps);
  }
  const c = stack.counters;
  report = "frames " + frames.toString() + " tcp-in " + c.tcpIn.toString() + " bad " + c.tcpBad.toString() + "/" + c.tcpBadChecksum.toString() + " opens " + c.tcpPassiveOpens.toString() +
    " out-of-window " + c.tcpOutOfWindow.toString() + " resets " + c.tcpResetsSent.toString() +
    " requests " + api.counters.requests.toString() + " 2xx " + api.counters.status2xx.toString() +
    " 4xx " + api.counters.status4xx.toString() + " echoed " + apps.echoed.toString() +
    " client " + (apps.clientConnected ? "connected" : "no") + " read " + apps.clientRead.toString() +
    " dhcp " + (dhcp == null ? "off" : dhcp!.describe());
  return frames;
}

function pass(stack: NetStack, dhcp: DhcpClient | null, api: HttpServer, apps: Apps): void {
  stack.poll(nowUs);
  if (dhcp != null) dhcp.poll();
  api.poll();
  apps.run();
  stack.tcp.flushAcks();
}
