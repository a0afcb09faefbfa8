// TCP (RFC 9293) with retransmission timing from RFC 6298 and Reno-style congestion control
// (RFC 5681: slow start, congestion avoidance, fast retransmit on three duplicate ACKs).
//
//   src port | dst port | seq | ack | data offset, flags | window | checksum | urgent | options
//
// One TcpConn per connection, found by (remote address, remote port, local port). The send
// buffer holds the bytes from SND.UNA on; SND.NXT - SND.UNA of them are in flight. A FIN
// takes the sequence number after the last data byte. The receive buffer holds in-order bytes
// the application has not read; its free space is the window we advertise (no scaling, so at
// most 65535). Segments that arrive ahead of RCV.NXT wait in a short out-of-order list.
//
// Timers run from poll(): one retransmission timer per connection (RTO from measured RTT,
// Karn's rule, exponential backoff; also the zero-window probe), TIME_WAIT, FIN_WAIT_2 and
// SYN_RECEIVED expiry. ACKs for data are sent at the end of a receive batch (flushAcks), so
// a reply the application writes in the same pass carries them.
//
// Deviations, on purpose: minimum RTO 200 ms (as Linux; RFC 6298 says 1 s), TIME_WAIT 2*MSL
// with MSL 5 s (timeWaitUs), no urgent data, no window scaling, no SACK, no timestamps.
import { get16, get32, put16, put32, sumBytes, finishChecksum, pseudoHeaderSum, seqLt, seqLe, seqGt, seqGe } from "./bytes";
import { IP_PAYLOAD, PROTO_TCP, Ipv4Packet } from "./ipv4";
import { ByteRing } from "./ring";
import { NetStack } from "./stack";
import { Random } from "../lib/random";

export const FIN: u32 = 1;
export const SYN: u32 = 2;
export const RST: u32 = 4;
export const PSH: u32 = 8;
export const ACK: u32 = 16;
export const TCP_HEADER: i32 = 20;

export enum TcpState { Closed, Listen, SynSent, SynReceived, Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait }

const STATE_NAMES: string[] = ["CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
  "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"];

export function stateName(s: TcpState): string {
  return STATE_NAMES[<i32>s];
}

export const SEND_BUFFER: i32 = 65536;
export const RECEIVE_BUFFER: i32 = 65536;
const DEFAULT_PEER_MSS: i32 = 536;
const INITIAL_RTO_US: u64 = 1_000_000;
export const MIN_RTO_US: u64 = 200_000;
const MAX_RTO_US: u64 = 60_000_000;
const MAX_RETRIES: i32 = 8;
const MAX_SYN_RETRIES: i32 = 5;
const MAX_OUT_OF_ORDER: i32 = 64;
const FIN_WAIT_2_US: u64 = 60_000_000;
export const MAX_CONNECTIONS: i32 = 512;
export let timeWaitUs: u64 = 10_000_000;

export function setTimeWaitUs(us: u64): void {
  timeWaitUs = us;
}

const EMPTY_RING = new ByteRing(0);

class Segment {
  constructor(public seq: u32, public data: Uint8Array, public fin: bool) {}
}

export class TcpListener {
  acceptQueue: Array<TcpConn> = new Array<TcpConn>(0);
  halfOpen: i32 = 0;
  accepted: u64 = 0;
  dropped: u64 = 0;
  open: bool = true;
  constructor(public layer: TcpLayer, public port: u32, public backlog: i32) {}

  /** The next established connection, or null. */
  accept(): TcpConn | null {
    if (this.acceptQueue.length == 0) return null;
    this.accepted++;
    return this.acceptQueue.shift();
  }

  close(): void {
    this.open = false;
    this.layer.listeners.delete(this.port);
    for (let i = 0; i < this.acceptQueue.length; i++) this.acceptQueue[i].abort();
    this.acceptQueue.length = 0;
  }
}

export class TcpConn {
  state: TcpState = TcpState.Closed;
  iss: u32 = 0;
  sndUna: u32 = 0;
  sndNxt: u32 = 0;
  sndMax: u32 = 0;
  sndWnd: u32 = 0;
  sndWl1: u32 = 0;
  sndWl2: u32 = 0;
  irs: u32 = 0;
  rcvNxt: u32 = 0;
  mss: i32 = DEFAULT_PEER_MSS;
  sendBuf: ByteRing = EMPTY_RING;
  recvBuf: ByteRing = EMPTY_RING;
  finQueued: bool = false;
  finAcked: bool = false;
  finReceived: bool = false;
  // RFC 6298 state, microseconds
  srttUs: u64 = 0;
  rttvarUs: u64 = 0;
  rtoUs: u64 = INITIAL_RTO_US;
  rttSamples: u64 = 0;
  rttTiming: bool = false;
  rttSeq: u32 = 0;
  rttStartUs: u64 = 0;
  rtxDeadlineUs: u64 = 0;
  retries: i32 = 0;
  // congestion control (bytes)
  cwnd: u32 = 0;
  ssthresh: u32 = 65535;
  dupAcks: i32 = 0;
  deadlineUs: u64 = 0; // TIME_WAIT / FIN_WAIT_2 / SYN_RECEIVED end
  ackNeeded: bool = false;
  lastAdvertised: u32 = 0;
  listener: TcpListener | null = null;
  outOfOrder: Array<Segment> = new Array<Segment>(0);
  /** Why the connection ended abnormally ("connection refused", "reset by peer", "timed out"). */
  error: string = "";
  createdUs: u64 = 0;
  bytesIn: u64 = 0;
  bytesOut: u64 = 0;
  retransmits: u64 = 0;

  constructor(public layer: TcpLayer, public localIp: u32, public localPort: u32, public remoteIp: u32,
    public remotePort: u32) {}

  get key(): u64 {
    return connKey(this.remoteIp, this.remotePort, this.localPort);
  }

  // ---- the socket side: what kernel services call ----

  /** Bytes ready to read. */
  get readable(): i32 {
    return this.recvBuf.length;
  }

  /** The peer sent FIN and every byte before it was read (or the connection is gone). */
  get eof(): bool {
    return this.recvBuf.length == 0 && (this.finReceived || this.state == TcpState.Closed);
  }

  get connected(): bool {
    return this.state == TcpState.Established || this.state == TcpState.CloseWait;
  }

  get closed(): bool {
    return this.state == TcpState.Closed;
  }

  /** Room in the send buffer. */
  get writable(): i32 {
    return this.connected && !this.finQueued ? this.sendBuf.free : 0;
  }

  /** Bytes written but not yet acknowledged by the peer. */
  get unacknowledged(): i32 {
    return this.sendBuf.length;
  }

  read(dst: Uint8Array, off: i32, len: i32): i32 {
    const n = this.recvBuf.read(dst, off, len);
    if (n > 0) {
      const free = <u32>min(this.recvBuf.free, 65535);
      if (free >= this.lastAdvertised + <u32>(2 * this.mss) || (this.lastAdvertised < <u32>this.mss && free >= <u32>this.mss)) {
        this.ackNeeded = true; // a window update
      }
    }
    return n;
  }

  /** Queues up to `len` bytes; returns how many were taken (0 when the buffer is full). */
  write(src: Uint8Array, off: i32, len: i32): i32 {
    if (!this.connected || this.finQueued) return -1;
    const n = this.sendBuf.push(src, off, len);
    if (n > 0) this.layer.output(this);
    return n;
  }

  /** Graceful close: FIN after the queued bytes. */
  close(): void {
    if (this.state == TcpState.Established) this.state = TcpState.FinWait1;
    else if (this.state == TcpState.CloseWait) this.state = TcpState.LastAck;
    else if (this.state == TcpState.SynSent || this.state == TcpState.SynReceived) {
      this.abort();
      return;
    } else return;
    this.finQueued = true;
    this.layer.output(this);
  }

  /** Abortive close: RST, and the connection is gone. */
  abort(): void {
    if (this.state == TcpState.Closed) return;
    if (this.state != TcpState.SynSent && this.state != TcpState.TimeWait) {
      this.layer.sendReset(this.localIp, this.remoteIp, this.localPort, this.remotePort, this.sndNxt, this.rcvNxt, true);
    }
    this.layer.remove(this);
  }

  receiveWindow(): u32 {
    return <u32>min(this.recvBuf.free, 65535);
  }
}

export function connKey(remoteIp: u32, remotePort: u32, localPort: u32): u64 {
  return (<u64>remoteIp << 32) | (<u64>remotePort << 16) | <u64>localPort;
}

/** Parsed fields of one incoming segment. */
class SegmentIn {
  srcPort: u32 = 0;
  dstPort: u32 = 0;
  seq: u32 = 0;
  ack: u32 = 0;
  flags: u32 = 0;
  window: u32 = 0;
  mss: i32 = 0;
  data: i32 = 0; // offset in the frame
  dataLength: i32 = 0;
}

export class TcpLayer {
  conns: Map<u64, TcpConn> = new Map<u64, TcpConn>();
  listeners: Map<u32, TcpListener> = new Map<u32, TcpListener>();
  rng: Random;
  private seg: SegmentIn = new SegmentIn();

  constructor(public stack: NetStack) {
    this.rng = new Random(0x7463702d6973);
  }

  seed(seed: u64): void {
    this.rng = new Random(seed);
  }

  get ourMss(): i32 {
    return this.stack.nic.mtu - 40;
  }

  listen(port: u32, backlog: i32): TcpListener | null {
    if (port == 0 || port > 65535 || this.listeners.has(port)) return null;
    const l = new TcpListener(this, port, max(backlog, 1));
    this.listeners.set(port, l);
    return l;
  }

  /** Starts an active open; the connection is Established once conn.connected. */
  connect(remoteIp: u32, remotePort: u32): TcpConn | null {
    if (this.conns.size >= MAX_CONNECTIONS || remotePort == 0 || remotePort > 65535) return null;
    let port: u32 = 0;
    for (let tries = 0; tries < 64; tries++) {
      const p = 49152 + <u32>this.rng.below(16384);
      if (!this.conns.has(connKey(remoteIp, remotePort, p)) && !this.listeners.has(p)) {
        port = p;
        break;
      }
    }
    if (port == 0) return null;
    const c = new TcpConn(this, this.stack.address, port, remoteIp, remotePort);
    this.initConn(c);
    c.state = TcpState.SynSent;
    this.conns.set(c.key, c);
    this.stack.counters.tcpActiveOpens++;
    this.sendSyn(c, false);
    return c;
  }

  private initConn(c: TcpConn): void {
    c.createdUs = this.stack.nowUs;
    // RFC 6528: a clock-driven part plus a per-stack random part
    c.iss = <u32>(this.stack.nowUs >> 2) + <u32>this.rng.next();
    c.sndUna = c.iss;
    c.sndNxt = c.iss + 1;
    c.sndMax = c.iss + 1;
    c.sendBuf = new ByteRing(SEND_BUFFER);
    c.recvBuf = new ByteRing(RECEIVE_BUFFER);
  }

  private sendSyn(c: TcpConn, withAck: bool): void {
    this.sendSegment(c, c.iss, withAck ? SYN | ACK : SYN, 0, 0, true);
    this.armTimer(c);
  }

  remove(c: TcpConn): void {
    if (c.state == TcpState.SynReceived && c.listener != null) c.listener!.halfOpen--;
    c.state = TcpState.Closed;
    c.rtxDeadlineUs = 0;
    c.outOfOrder.length = 0;
    c.sendBuf = EMPTY_RING;
    const key = c.key;
    if (this.conns.has(key) && this.conns.get(key) == c) this.conns.delete(key);
  }

  private armTimer(c: TcpConn): void {
    c.rtxDeadlineUs = this.stack.nowUs + c.rtoUs;
  }

  // ---- input ----

  input(frame: Uint8Array, ip: Ipv4Packet): void {
    const s = this.stack;
    s.counters.tcpIn++;
    const o = ip.payload;
    const len = ip.payloadLength;
    if (len < TCP_HEADER) {
      s.counters.tcpBad++;
      return;
    }
    if (finishChecksum(sumBytes(frame, o, len, pseudoHeaderSum(ip.source, ip.destination, PROTO_TCP, <u32>len))) != 0) {
      s.counters.tcpBadChecksum++;
      return;
    }
    const hl = <i32>(frame[o + 12] >> 4) * 4;
    if (hl < TCP_HEADER || hl > len) {
      s.counters.tcpBad++;
      return;
    }
    const g = this.seg;
    g.srcPort = get16(frame, o);
    g.dstPort = get16(frame, o + 2);
    g.seq = get32(frame, o + 4);
    g.ack = get32(frame, o + 8);
    g.flags = <u32>frame[o + 13] & 0x3f;
    g.window = get16(frame, o + 14);
    g.data = o + hl;
    g.dataLength = len - hl;
    g.mss = 0;
    // options: only MSS matters to us; walk them with bounds checks
    let p = o + TCP_HEADER;
    while (p < o + hl) {
      const kind = frame[p];
      if (kind == 0) break;
      if (kind == 1) {
        p++;
        continue;
      }
      if (p + 1 >= o + hl) break;
      const optLen = <i32>frame[p + 1];
      if (optLen < 2 || p + optLen > o + hl) break;
      if (kind == 2 && optLen == 4) g.mss = <i32>get16(frame, p + 2);
      p += optLen;
    }
    if (g.srcPort == 0 || g.dstPort == 0) {
      s.counters.tcpBad++;
      return;
    }

    const key = connKey(ip.source, g.srcPort, g.dstPort);
    let c: TcpConn | null = this.conns.has(key) ? this.conns.get(key) : null;
    if (c != null && c.state == TcpState.TimeWait && (g.flags & (SYN | ACK | RST)) == SYN && seqGt(g.seq, c.rcvNxt) &&
      this.listeners.has(g.dstPort)) {
      this.remove(c); // a new incarnation of the same pair (RFC 9293 3.10.7.4, as RFC 6191 allows)
      c = null;
    }
    if (c == null) {
      if (this.listeners.has(g.dstPort)) this.listenInput(this.listeners.get(g.dstPort), ip, g);
      else if ((g.flags & RST) == 0) this.resetFor(ip, g);
      return;
    }
    if (c.state == TcpState.SynSent) this.synSentInput(c, g);
    else this.segmentArrives(c, frame, g);
  }

  /** RST in reply to a segment for no connection (RFC 9293 3.10.7.1). */
  private resetFor(ip: Ipv4Packet, g: SegmentIn): void {
    if ((g.flags & ACK) != 0) this.sendReset(ip.destination, ip.source, g.dstPort, g.srcPort, g.ack, 0, false);
    else {
      const segLen = <u32>g.dataLength + ((g.flags & SYN) != 0 ? 1 : 0) + ((g.flags & FIN) != 0 ? 1 : 0);
      this.sendReset(ip.destination, ip.source, g.dstPort, g.srcPort, 0, g.seq + segLen, true);
    }
  }

  private listenInput(l: TcpListener, ip: Ipv4Packet, g: SegmentIn): void {
    if ((g.flags & RST) != 0) return;
    if ((g.flags & ACK) != 0) {
      this.resetFor(ip, g);
      return;
    }
    if ((g.flags & SYN) == 0) return;
    const s = this.stack;
    if (l.halfOpen >= 2 * l.backlog || l.acceptQueue.length >= l.backlog || this.conns.size >= MAX_CONNECTIONS) {
      s.counters.tcpBacklogDrops++;
      l.dropped++;
      return;
    }
    const c = new TcpConn(this, ip.destination, g.dstPort, ip.source, g.srcPort);
    this.initConn(c);
    c.state = TcpState.SynReceived;
    c.irs = g.seq;
    c.rcvNxt = g.seq + 1;
    c.mss = g.mss > 0 ? min(g.mss, this.ourMss) : DEFAULT_PEER_MSS;
    c.sndWnd = g.window;
    c.sndWl1 = g.seq;
    c.listener = l;
    c.deadlineUs = s.nowUs + 75_000_000;
    l.halfOpen++;
    this.conns.set(c.key, c);
    s.counters.tcpPassiveOpens++;
    this.sendSyn(c, true);
  }

  private synSentInput(c: TcpConn, g: SegmentIn): void {
    const hasAck = (g.flags & ACK) != 0;
    if (hasAck && (seqLe(g.ack, c.iss) || seqGt(g.ack, c.sndMax))) {
      if ((g.flags & RST) == 0) this.sendReset(c.localIp, c.remoteIp, c.localPort, c.remotePort, g.ack, 0, false);
      return;
    }
    if ((g.flags & RST) != 0) {
      if (hasAck) {
        c.error = "connection refused";
        this.stack.counters.tcpResetsIn++;
        this.remove(c);
      }
      return;
    }
    if ((g.flags & SYN) == 0) return;
    c.irs = g.seq;
    c.rcvNxt = g.seq + 1;
    c.mss = g.mss > 0 ? min(g.mss, this.ourMss) : DEFAULT_PEER_MSS;
    if (hasAck) {
      this.rttSampleFromSyn(c);
      c.sndUna = g.ack;
      c.sndWnd = g.window;
      c.sndWl1 = g.seq;
      c.sndWl2 = g.ack;
      this.establish(c);
      c.ackNeeded = true;
      this.output(c);
      this.sendAckIfNeeded(c);
    } else {
      c.state = TcpState.SynReceived; // simultaneous open
      this.sendSyn(c, true);
    }
  }

  private establish(c: TcpConn): void {
    c.state = TcpState.Established;
    c.rtxDeadlineUs = 0;
    c.retries = 0;
    c.cwnd = <u32>(10 * c.mss); // RFC 6928 initial window
  }

  private rttSampleFromSyn(c: TcpConn): void {
    if (c.retries == 0) this.rttSample(c, this.stack.nowUs - c.createdUs); // Karn: not after a retransmitted SYN
  }

  /** RFC 6298 2.2-2.4. */
  private rttSample(c: TcpConn, r: u64): void {
    if (c.rttSamples == 0) {
      c.srttUs = r;
      c.rttvarUs = r / 2;
    } else {
      const diff = c.srttUs > r ? c.srttUs - r : r - c.srttUs;
      c.rttvarUs = (3 * c.rttvarUs + diff) / 4;
      c.srttUs = (7 * c.srttUs + r) / 8;
    }
    c.rttSamples++;
    let rto = c.srttUs + max<u64>(1000, 4 * c.rttvarUs);
    if (rto < MIN_RTO_US) rto = MIN_RTO_US;
    if (rto > MAX_RTO_US) rto = MAX_RTO_US;
    c.rtoUs = rto;
  }

  /** RFC 9293 3.10.7.4: a segment for a synchronized connection (or SYN_RECEIVED). */
  private segmentArrives(c: TcpConn, frame: Uint8Array, g: SegmentIn): void {
    const s = this.stack;
    let seq = g.seq;
    let data = g.data;
    let dataLength = g.dataLength;
    const flags = g.flags;
    const segLen = <u32>dataLength + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0);
    const wnd = c.receiveWindow();

    if (c.state == TcpState.SynReceived && (flags & SYN) != 0 && (flags & ACK) == 0 && seq == c.irs) {
      this.sendSegment(c, c.iss, SYN | ACK, 0, 0, true); // our SYN-ACK was lost
      return;
    }
    // 1. sequence acceptability
    let acceptable: bool;
    if (segLen == 0) {
      acceptable = wnd == 0 ? seq == c.rcvNxt : seqGe(seq, c.rcvNxt) && seqLt(seq, c.rcvNxt + wnd);
    } else if (wnd == 0) {
      acceptable = false;
    } else {
      const last = seq + segLen - 1;
      acceptable = (seqGe(seq, c.rcvNxt) && seqLt(seq, c.rcvNxt + wnd)) || (seqGe(last, c.rcvNxt) && seqLt(last, c.rcvNxt + wnd));
    }
    if (!acceptable) {
      s.counters.tcpOutOfWindow++;
      if ((flags & RST) == 0) {
        c.ackNeeded = true;
        this.sendAckIfNeeded(c);
      }
      // a zero window still takes ACKs (so a probe's ACK opens our send side)
      if (wnd != 0 || (flags & ACK) == 0 || (flags & RST) != 0) return;
      dataLength = 0;
    }
    // 2. RST (RFC 5961: only an exact match resets; anything else in window gets a challenge ACK)
    if ((flags & RST) != 0) {
      if (seq == c.rcvNxt) {
        s.counters.tcpResetsIn++;
        c.error = "connection reset by peer";
        this.remove(c);
      } else {
        c.ackNeeded = true;
        this.sendAckIfNeeded(c);
      }
      return;
    }
    // 4. SYN in a synchronized state: challenge ACK
    if ((flags & SYN) != 0) {
      c.ackNeeded = true;
      this.sendAckIfNeeded(c);
      return;
    }
    // 5. ACK
    if ((flags & ACK) == 0) return;
    if (c.state == TcpState.SynReceived) {
      if (seqLe(g.ack, c.sndUna) || seqGt(g.ack, c.sndMax)) {
        this.sendReset(c.localIp, c.remoteIp, c.localPort, c.remotePort, g.ack, 0, false);
        return;
      }
      const l = c.listener;
      if (l != null) l.halfOpen--;
      c.listener = null;
      this.rttSampleFromSyn(c);
      this.establish(c);
      c.sndWnd = g.window;
      c.sndWl1 = seq;
      c.sndWl2 = g.ack;
      if (l != null) {
        if (!l.open || l.acceptQueue.length >= l.backlog) {
          s.counters.tcpBacklogDrops++;
          l.dropped++;
          c.abort();
          return;
        }
        l.acceptQueue.push(c);
      }
    }
    if (!this.processAck(c, g, dataLength)) return;

    // 7. data
    const originalEnd = g.seq + <u32>g.dataLength;
    if (dataLength > 0 && (c.state == TcpState.Established || c.state == TcpState.FinWait1 || c.state == TcpState.FinWait2)) {
      if (seqLt(seq, c.rcvNxt)) {
        const skip = <i32>(c.rcvNxt - seq);
        data += skip;
        dataLength -= skip;
        seq = c.rcvNxt;
      }
      if (dataLength > 0) {
        if (seq == c.rcvNxt) {
          const n = c.recvBuf.push(frame, data, dataLength);
          c.rcvNxt += <u32>n;
          c.bytesIn += <u64>n;
          s.counters.tcpBytesIn += <u64>n;
          this.drainOutOfOrder(c);
        } else {
          s.counters.tcpOutOfOrder++;
          this.keepOutOfOrder(c, seq, frame.slice(data, data + dataLength), (flags & FIN) != 0);
          c.ackNeeded = true;
          this.sendAckIfNeeded(c); // a duplicate ACK now: the sender's fast retransmit counts them
          return;
        }
      }
      c.ackNeeded = true;
    }
    // 8. FIN (only when everything before it has arrived)
    if ((flags & FIN) != 0 && originalEnd == c.rcvNxt && c.state != TcpState.SynReceived) this.acceptFin(c);
    if (c.state == TcpState.Closed) return;
    this.output(c);
  }

  /** Returns false when the segment must not be processed further. */
  private processAck(c: TcpConn, g: SegmentIn, dataLength: i32): bool {
    const s = this.stack;
    const ack = g.ack;
    if (seqGt(ack, c.sndMax)) {
      c.ackNeeded = true; // acknowledges something we never sent
      this.sendAckIfNeeded(c);
      return false;
    }
    if (seqGt(ack, c.sndUna)) {
      let acked = <i32>(ack - c.sndUna);
      if (c.sndUna == c.iss) acked--; // our SYN
      const dataAcked = min(acked, c.sendBuf.length);
      c.sendBuf.drop(dataAcked);
      if (c.finQueued && acked > dataAcked) c.finAcked = true;
      c.sndUna = ack;
      if (seqLt(c.sndNxt, c.sndUna)) c.sndNxt = c.sndUna;
      if (c.rttTiming && seqGe(ack, c.rttSeq)) {
        c.rttTiming = false;
        this.rttSample(c, s.nowUs - c.rttStartUs);
      }
      c.retries = 0;
      c.dupAcks = 0;
      // RFC 5681 3.1
      const mss = <u32>c.mss;
      if (c.cwnd < c.ssthresh) c.cwnd += min(<u32>dataAcked, mss);
      else c.cwnd += max<u32>(1, mss * mss / max<u32>(c.cwnd, 1));
      if (c.cwnd > 1 << 20) c.cwnd = 1 << 20;
      if (c.sndUna == c.sndMax) c.rtxDeadlineUs = 0;
      else this.armTimer(c);
    } else if (ack == c.sndUna && dataLength == 0 && (g.flags & FIN) == 0 && g.window == c.sndWnd && c.sndMax != c.sndUna) {
      c.dupAcks++;
      if (c.dupAcks == 3) this.fastRetransmit(c);
    }
    if (seqLt(c.sndWl1, g.seq) || (c.sndWl1 == g.seq && seqLe(c.sndWl2, ack))) {
      c.sndWnd = g.window;
      c.sndWl1 = g.seq;
      c.sndWl2 = ack;
    }
    if (c.finAcked) {
      if (c.state == TcpState.FinWait1) {
        c.state = TcpState.FinWait2;
        c.deadlineUs = s.nowUs + FIN_WAIT_2_US;
      } else if (c.state == TcpState.Closing) this.enterTimeWait(c);
      else if (c.state == TcpState.LastAck) {
        this.remove(c);
        return false;
      }
    }
    return true;
  }

  private acceptFin(c: TcpConn): void {
    if (c.finReceived) {
      if (c.state == TcpState.TimeWait) this.enterTimeWait(c); // a retransmitted FIN: ACK again, restart
      c.ackNeeded = true;
      this.sendAckIfNeeded(c);
      return;
    }
    c.finReceived = true;
    c.rcvNxt++;
    c.ackNeeded = true;
    if (c.state == TcpState.Established) c.state = TcpState.CloseWait;
    else if (c.state == TcpState.FinWait1) {
      if (c.finAcked) this.enterTimeWait(c);
      else c.state = TcpState.Closing;
    } else if (c.state == TcpState.FinWait2) this.enterTimeWait(c);
    this.sendAckIfNeeded(c);
  }

  private enterTimeWait(c: TcpConn): void {
    c.state = TcpState.TimeWait;
    c.deadlineUs = this.stack.nowUs + timeWaitUs;
    c.rtxDeadlineUs = 0;
    c.sendBuf = EMPTY_RING;
    if (c.recvBuf.length == 0) c.recvBuf = EMPTY_RING; // 64 KiB back per TIME_WAIT connection
    c.outOfOrder.length = 0;
  }

  private keepOutOfOrder(c: TcpConn, seq: u32, data: Uint8Array, fin: bool): void {
    for (let i = 0; i < c.outOfOrder.length; i++) if (c.outOfOrder[i].seq == seq) return; // a duplicate
    if (c.outOfOrder.length >= MAX_OUT_OF_ORDER) return;
    c.outOfOrder.push(new Segment(seq, data, fin));
  }

  private drainOutOfOrder(c: TcpConn): void {
    let progress = true;
    while (progress && c.outOfOrder.length > 0) {
      progress = false;
      for (let i = 0; i < c.outOfOrder.length; i++) {
        const sg = c.outOfOrder[i];
        const end = sg.seq + <u32>sg.data.length;
        if (seqGt(sg.seq, c.rcvNxt)) continue;
        c.outOfOrder.splice(i, 1);
        progress = true;
        if (seqGt(end, c.rcvNxt)) {
          const skip = <i32>(c.rcvNxt - sg.seq);
          const n = c.recvBuf.push(sg.data, skip, sg.data.length - skip);
          c.rcvNxt += <u32>n;
          c.bytesIn += <u64>n;
          this.stack.counters.tcpBytesIn += <u64>n;
          if (sg.fin && n == sg.data.length - skip) this.acceptFin(c);
        }
        break;
      }
    }
  }

  // ---- output ----

  private canSend(c: TcpConn): bool {
    return c.state == TcpState.Established || c.state == TcpState.CloseWait || c.state == TcpState.FinWait1 ||
      c.state == TcpState.Closing || c.state == TcpState.LastAck;
  }

  /** Sends what the windows allow: data, then FIN when close() asked for it. */
  output(c: TcpConn): void {
    if (!this.canSend(c)) return;
    while (true) {
      const inFlight = <i32>(c.sndNxt - c.sndUna);
      const offset = inFlight;
      const length = c.sendBuf.length;
      if (offset < length) {
        const window = <i32>min(c.sndWnd, c.cwnd);
        const room = window - inFlight;
        const avail = length - offset;
        let n = min(min(avail, c.mss), room);
        if (n <= 0) {
          if (inFlight == 0 && c.rtxDeadlineUs == 0) this.armTimer(c); // zero window: the persist probe
          break;
        }
        if (n < c.mss && n < avail && inFlight > 0) break; // silly-window avoidance: wait for a full segment
        const fin = c.finQueued && offset + n == length;
        const wasNew = seqGe(c.sndNxt, c.sndMax);
        this.sendSegment(c, c.sndNxt, ACK | (offset + n == length ? PSH : 0) | (fin ? FIN : 0), offset, n, false);
        c.bytesOut += <u64>n;
        this.stack.counters.tcpBytesOut += <u64>n;
        if (wasNew && !c.rttTiming) {
          c.rttTiming = true;
          c.rttSeq = c.sndNxt + <u32>n;
          c.rttStartUs = this.stack.nowUs;
        }
        c.sndNxt += <u32>n + (fin ? 1 : 0);
        if (seqGt(c.sndNxt, c.sndMax)) c.sndMax = c.sndNxt;
        if (c.rtxDeadlineUs == 0) this.armTimer(c);
        if (fin) break;
      } else if (offset == length && c.finQueued) {
        this.sendSegment(c, c.sndNxt, ACK | FIN, 0, 0, false);
        c.sndNxt++;
        if (seqGt(c.sndNxt, c.sndMax)) c.sndMax = c.sndNxt;
        if (c.rtxDeadlineUs == 0) this.armTimer(c);
        break;
      } else break;
    }
  }

  private fastRetransmit(c: TcpConn): void {
    const s = this.stack;
    const flight = c.sndMax - c.sndUna;
    c.ssthresh = max<u32>(flight / 2, <u32>(2 * c.mss));
    c.cwnd = c.ssthresh + <u32>(3 * c.mss);
    c.rttTiming = false;
    this.retransmitFirst(c);
    s.counters.tcpFastRetransmits++;
  }

  /** Resends the first unacknowledged segment (data, or the FIN). */
  private retransmitFirst(c: TcpConn): void {
    const n = min(c.sendBuf.length, c.mss);
    const fin = c.finQueued && n == c.sendBuf.length;
    if (n == 0 && !fin) return;
    this.sendSegment(c, c.sndUna, ACK | (fin ? FIN : 0) | (n > 0 ? PSH : 0), 0, n, false);
    c.retransmits++;
    this.stack.counters.tcpRetransmits++;
  }

  private sendAckIfNeeded(c: TcpConn): void {
    if (c.ackNeeded && c.state != TcpState.Closed && c.state != TcpState.SynSent) {
      this.sendSegment(c, c.sndNxt, ACK, 0, 0, false);
    }
  }

  /** Sends the ACKs owed after a receive batch (the end of the stack's pass). */
  flushAcks(): void {
    if (this.conns.size == 0) return;
    const list = this.conns.values();
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      if (!c.ackNeeded) continue;
      this.output(c);
      this.sendAckIfNeeded(c);
    }
  }

  /** One segment of `c`: `length` bytes from send-buffer offset `offset`, MSS option on SYNs. */
  sendSegment(c: TcpConn, seq: u32, flags: u32, offset: i32, length: i32, mssOption: bool): void {
    const s = this.stack;
    const hl = TCP_HEADER + (mssOption ? 4 : 0);
    const total = hl + length;
    const f = s.newIpFrame(total);
    const o = IP_PAYLOAD;
    const wnd = c.receiveWindow();
    put16(f, o, c.localPort);
    put16(f, o + 2, c.remotePort);
    put32(f, o + 4, seq);
    put32(f, o + 8, (flags & ACK) != 0 ? c.rcvNxt : 0);
    f[o + 12] = <u8>((hl / 4) << 4);
    f[o + 13] = <u8>flags;
    put16(f, o + 14, wnd);
    if (mssOption) {
      f[o + 20] = 2;
      f[o + 21] = 4;
      put16(f, o + 22, <u32>this.ourMss);
    }
    if (length > 0) c.sendBuf.peek(offset, f, o + hl, length);
    put16(f, o + 16, finishChecksum(sumBytes(f, o, total, pseudoHeaderSum(c.localIp, c.remoteIp, PROTO_TCP, <u32>total))));
    if ((flags & ACK) != 0) {
      c.ackNeeded = false;
      c.lastAdvertised = wnd;
    }
    s.counters.tcpOut++;
    s.sendIpFrame(f, c.remoteIp, PROTO_TCP, total);
  }

  sendReset(src: u32, dst: u32, srcPort: u32, dstPort: u32, seq: u32, ack: u32, withAck: bool): void {
    const s = this.stack;
    const f = s.newIpFrame(TCP_HEADER);
    const o = IP_PAYLOAD;
    put16(f, o, srcPort);
    put16(f, o + 2, dstPort);
    put32(f, o + 4, seq);
    put32(f, o + 8, withAck ? ack : 0);
    f[o + 12] = <u8>(5 << 4);
    f[o + 13] = <u8>(RST | (withAck ? ACK : 0));
    put16(f, o + 16, finishChecksum(sumBytes(f, o, TCP_HEADER, pseudoHeaderSum(src, dst, PROTO_TCP, <u32>TCP_HEADER))));
    s.counters.tcpResetsSent++;
    s.counters.tcpOut++;
    s.sendIpFrame(f, dst, PROTO_TCP, TCP_HEADER);
  }

  // ---- timers ----

  poll(): void {
    if (this.conns.size == 0) return;
    const now = this.stack.nowUs;
    const list = this.conns.values();
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      if (c.state == TcpState.TimeWait || c.state == TcpState.FinWait2 ||
        (c.state == TcpState.SynReceived && c.rtxDeadlineUs == 0)) {
        if (c.deadlineUs != 0 && now >= c.deadlineUs) this.remove(c);
        continue;
      }
      if (c.rtxDeadlineUs == 0 || now < c.rtxDeadlineUs) continue;
      this.timerFired(c);
    }
  }

  private timerFired(c: TcpConn): void {
    const s = this.stack;
    c.rtoUs = min<u64>(c.rtoUs * 2, MAX_RTO_US);
    c.rttTiming = false;
    if (c.state == TcpState.SynSent || c.state == TcpState.SynReceived) {
      c.retries++;
      if (c.retries > MAX_SYN_RETRIES) {
        s.counters.tcpTimeouts++;
        c.error = "connection timed out";
        this.remove(c);
        return;
      }
      s.counters.tcpRetransmits++;
      c.retransmits++;
      this.sendSyn(c, c.state == TcpState.SynReceived);
      return;
    }
    if (c.sndMax != c.sndUna) {
      c.retries++;
      if (c.retries > MAX_RETRIES) {
        s.counters.tcpTimeouts++;
        c.error = "connection timed out";
        c.abort();
        return;
      }
      const flight = c.sndMax - c.sndUna;
      c.ssthresh = max<u32>(flight / 2, <u32>(2 * c.mss));
      c.cwnd = <u32>c.mss;
      c.dupAcks = 0;
      c.sndNxt = c.sndUna; // go back: resend from the first unacknowledged byte
      s.counters.tcpRetransmits++;
      c.retransmits++;
      this.armTimer(c);
      this.output(c);
      return;
    }
    if (c.sendBuf.length > 0 && c.sndWnd == 0) {
      // zero-window probe: one byte past the window, whose ACK tells us the window
      this.sendSegment(c, c.sndNxt, ACK, 0, 1, false);
      c.sndNxt++;
      c.sndMax = c.sndNxt;
      this.armTimer(c);
      return;
    }
    c.rtxDeadlineUs = 0;
  }

  /** Connections in a stable order (netctl conns, /api/state). */
  connections(): Array<TcpConn> {
    return this.conns.values();
  }
}
