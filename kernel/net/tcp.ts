// TCP, socket-facing: listen/accept, connections as kernel services use them, open, input dispatch, output.
//
// tcp_segment.ts holds the segment format and parsing, tcp_state.ts the state machine and timers.
//
// TCP (RFC 9293) with retransmission timing from RFC 6298 and Reno-style congestion control
// (RFC 5681: slow start, congestion avoidance, fast retransmit on three duplicate ACKs).
//
//   src port | dst port | seq | ack | data offset, flags | window | checksum | urgent | options
//
// One TcpConn per connection, found by (remote address, remote port, local port). The send
// buffer holds the bytes from SND.UNA on; SND.NXT - SND.UNA of them are in flight. A FIN
// takes the sequence number after the last data byte. The receive buffer holds in-order bytes
// the application has not read; its free space is the window we advertise. Window scaling
// (RFC 7323) is offered in every SYN; when the peer's SYN carries it too, windows in the header
// are shifted (ours by RECEIVE_SHIFT, the peer's by its own shift; never in a SYN), and the
// connection's buffers grow to BIG_BUFFER (at most MAX_BIG_CONNECTIONS connections at a time).
// Without it, at most 65535 bytes are in flight. Segments that arrive ahead of RCV.NXT wait in
// a short out-of-order list.
//
// Timers run from poll(): one retransmission timer per connection (RTO from measured RTT,
// Karn's rule, exponential backoff; also the zero-window probe), TIME_WAIT, FIN_WAIT_2 and
// SYN_RECEIVED expiry. ACKs for data are sent at the second full-sized segment and otherwise at
// the end of a receive batch (flushAcks), so a reply the application writes in the same pass
// carries them.
//
// Deviations, on purpose: minimum RTO 200 ms (as Linux; RFC 6298 says 1 s), TIME_WAIT 2*MSL
// with MSL 5 s (timeWaitUs), no urgent data, no SACK, no timestamps.
import { put16, put32, sumBytes, finishChecksum, pseudoHeaderSum, seqGt, seqGe } from "./bytes";
import { IP_PAYLOAD, PROTO_TCP, Ipv4Packet } from "./ipv4";
import { ByteRing } from "./ring";
import { NetStack } from "./stack";
import { Random } from "../lib/random";
import { FIN, SYN, RST, PSH, ACK, TCP_HEADER, Segment, SegmentIn, connKey, parseSegment } from "./tcp_segment";
import { TcpState, listenInput, resetFor, synSentInput, segmentArrives, pollTimers } from "./tcp_state";

export { FIN, SYN, RST, PSH, ACK, TCP_HEADER, connKey } from "./tcp_segment";
export { TcpState, stateName, MIN_RTO_US, timeWaitUs, setTimeWaitUs } from "./tcp_state";

export const SEND_BUFFER: i32 = 65536;
export const RECEIVE_BUFFER: i32 = 65536;
export const DEFAULT_PEER_MSS: i32 = 536;
const INITIAL_RTO_US: u64 = 1_000_000;
export const MAX_CONNECTIONS: i32 = 512;
/** Our window scale shift: 65535 << 2 covers BIG_BUFFER. */
export const RECEIVE_SHIFT: u32 = 2;
export const BIG_BUFFER: i32 = 256 << 10;
export const MAX_BIG_CONNECTIONS: i32 = 16;
/** Window scaling offered in our SYNs (a test turns it off to compare). */
export let windowScaling: bool = true;
export function setWindowScaling(on: bool): void {
  windowScaling = on;
}

export const EMPTY_RING = new ByteRing(0);

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
  /** RFC 7323 shifts: the peer's (applied to windows it sends) and ours (to windows we send); 0 without scaling. */
  sndShift: u32 = 0;
  rcvShift: u32 = 0;
  /** The peer's SYN offered window scaling (our SYN-ACK answers with the option). */
  peerOfferedScale: bool = false;
  bigBuffers: bool = false;
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
  /** Full-sized segments received since our last ACK (one is sent at the second). */
  fullSegmentsUnacked: i32 = 0;
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
      const free = this.receiveWindow();
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

  /** The window in bytes: free receive space, as far as the header field (with our shift) can say. */
  receiveWindow(): u32 {
    return <u32>min(this.recvBuf.free, 65535 << <i32>this.rcvShift) >> this.rcvShift << this.rcvShift;
  }
}

export class TcpLayer {
  conns: Map<u64, TcpConn> = new Map<u64, TcpConn>();
  listeners: Map<u32, TcpListener> = new Map<u32, TcpListener>();
  rng: Random;
  /** Connections holding BIG_BUFFER rings now. */
  bigConnections: i32 = 0;
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

  initConn(c: TcpConn): void {
    c.createdUs = this.stack.nowUs;
    // RFC 6528: a clock-driven part plus a per-stack random part
    c.iss = <u32>(this.stack.nowUs >> 2) + <u32>this.rng.next();
    c.sndUna = c.iss;
    c.sndNxt = c.iss + 1;
    c.sndMax = c.iss + 1;
    c.sendBuf = new ByteRing(SEND_BUFFER);
    c.recvBuf = new ByteRing(RECEIVE_BUFFER);
  }

  sendSyn(c: TcpConn, withAck: bool): void {
    this.sendSegment(c, c.iss, withAck ? SYN | ACK : SYN, 0, 0, true);
    this.armTimer(c);
  }

  /** Window scaling agreed: bigger rings, while few connections have them (they are empty now). */
  growBuffers(c: TcpConn): void {
    if (c.rcvShift == 0 || c.bigBuffers || this.bigConnections >= MAX_BIG_CONNECTIONS) return;
    if (c.sendBuf.length != 0 || c.recvBuf.length != 0) return;
    c.sendBuf = new ByteRing(BIG_BUFFER);
    c.recvBuf = new ByteRing(BIG_BUFFER);
    c.bigBuffers = true;
    this.bigConnections++;
  }

  remove(c: TcpConn): void {
    if (c.bigBuffers) {
      c.bigBuffers = false;
      this.bigConnections--;
    }
    if (c.state == TcpState.SynReceived && c.listener != null) c.listener!.halfOpen--;
    c.state = TcpState.Closed;
    c.rtxDeadlineUs = 0;
    c.outOfOrder.length = 0;
    c.sendBuf = EMPTY_RING;
    const key = c.key;
    if (this.conns.has(key) && this.conns.get(key) == c) this.conns.delete(key);
  }

  armTimer(c: TcpConn): void {
    c.rtxDeadlineUs = this.stack.nowUs + c.rtoUs;
  }

  // ---- input (parsing in tcp_segment.ts, the states in tcp_state.ts) ----

  input(frame: Uint8Array, ip: Ipv4Packet): void {
    const s = this.stack;
    s.counters.tcpIn++;
    const g = this.seg;
    if (!parseSegment(frame, ip, g, s.counters)) return;

    const key = connKey(ip.source, g.srcPort, g.dstPort);
    let c: TcpConn | null = this.conns.has(key) ? this.conns.get(key) : null;
    if (c != null && c.state == TcpState.TimeWait && (g.flags & (SYN | ACK | RST)) == SYN && seqGt(g.seq, c.rcvNxt) &&
      this.listeners.has(g.dstPort)) {
      this.remove(c); // a new incarnation of the same pair (RFC 9293 3.10.7.4, as RFC 6191 allows)
      c = null;
    }
    if (c == null) {
      if (this.listeners.has(g.dstPort)) listenInput(this, this.listeners.get(g.dstPort), ip, g);
      else if ((g.flags & RST) == 0) resetFor(this, ip, g);
      return;
    }
    if ((g.flags & SYN) == 0) g.window <<= c.sndShift; // RFC 7323 2.3: never scaled in a SYN
    if (c.state == TcpState.SynSent) synSentInput(this, c, g);
    else segmentArrives(this, c, frame, g);
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
        // PSH on the last segment of a burst (the buffer or the window ends here): a receiver
        // that delays ACKs (QEMU's user network does, for segments without PSH) answers at once
        const rest = avail - n;
        const burstEnd = rest == 0 || room - n < min(rest, c.mss);
        this.sendSegment(c, c.sndNxt, ACK | (burstEnd ? PSH : 0) | (fin ? FIN : 0), offset, n, false);
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

  fastRetransmit(c: TcpConn): void {
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

  sendAckIfNeeded(c: TcpConn): void {
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
    // a SYN offers scaling; a SYN-ACK answers with it only when the peer's SYN had it
    const scaleOption = mssOption && windowScaling && ((flags & ACK) == 0 || c.peerOfferedScale);
    const hl = TCP_HEADER + (mssOption ? 4 : 0) + (scaleOption ? 4 : 0);
    const total = hl + length;
    const f = s.newIpFrame(total);
    const o = IP_PAYLOAD;
    const isSyn = (flags & SYN) != 0;
    const wnd = isSyn ? <u32>min(c.recvBuf.free, 65535) : c.receiveWindow(); // never scaled in a SYN
    put16(f, o, c.localPort);
    put16(f, o + 2, c.remotePort);
    put32(f, o + 4, seq);
    put32(f, o + 8, (flags & ACK) != 0 ? c.rcvNxt : 0);
    f[o + 12] = <u8>((hl / 4) << 4);
    f[o + 13] = <u8>flags;
    put16(f, o + 14, isSyn ? wnd : wnd >> c.rcvShift);
    if (mssOption) {
      f[o + 20] = 2;
      f[o + 21] = 4;
      put16(f, o + 22, <u32>this.ourMss);
    }
    if (scaleOption) {
      f[o + 24] = 1; // NOP, then kind 3 length 3 shift
      f[o + 25] = 3;
      f[o + 26] = 3;
      f[o + 27] = <u8>RECEIVE_SHIFT;
    }
    if (length > 0) c.sendBuf.peek(offset, f, o + hl, length);
    put16(f, o + 16, finishChecksum(sumBytes(f, o, total, pseudoHeaderSum(c.localIp, c.remoteIp, PROTO_TCP, <u32>total))));
    if ((flags & ACK) != 0) {
      c.ackNeeded = false;
      c.fullSegmentsUnacked = 0;
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

  // ---- timers (tcp_state.ts) ----

  poll(): void {
    pollTimers(this);
  }

  /** Connections in a stable order (netctl conns, /api/state). */
  connections(): Array<TcpConn> {
    return this.conns.values();
  }
}
