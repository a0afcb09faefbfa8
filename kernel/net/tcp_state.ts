// TCP connection state machine and timers: what each state does with an arriving segment, and poll's timers.
//
// Segment arrival per state (RFC 9293 3.10.7), ACK processing with RTT sampling (RFC 6298) and
// Reno congestion control (RFC 5681), FIN handling, the out-of-order list; the timers are the
// retransmission timer (with the zero-window probe), TIME_WAIT, FIN_WAIT_2 and SYN_RECEIVED expiry.
import { seqLt, seqLe, seqGt, seqGe } from "./bytes";
import { Ipv4Packet } from "./ipv4";
import { FIN, SYN, RST, ACK, Segment, SegmentIn } from "./tcp_segment";
import { TcpConn, TcpLayer, TcpListener, EMPTY_RING, DEFAULT_PEER_MSS, MAX_CONNECTIONS, RECEIVE_SHIFT, windowScaling } from "./tcp";

export enum TcpState { Closed, Listen, SynSent, SynReceived, Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait }

const STATE_NAMES: string[] = ["CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
  "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"];

export function stateName(s: TcpState): string {
  return STATE_NAMES[<i32>s];
}

export const MIN_RTO_US: u64 = 200_000;
const MAX_RTO_US: u64 = 60_000_000;
const MAX_RETRIES: i32 = 8;
const MAX_SYN_RETRIES: i32 = 5;
const MAX_OUT_OF_ORDER: i32 = 64;
const FIN_WAIT_2_US: u64 = 60_000_000;
export let timeWaitUs: u64 = 10_000_000;

export function setTimeWaitUs(us: u64): void {
  timeWaitUs = us;
}

/** RST in reply to a segment for no connection (RFC 9293 3.10.7.1). */
export function resetFor(t: TcpLayer, ip: Ipv4Packet, g: SegmentIn): void {
  if ((g.flags & ACK) != 0) t.sendReset(ip.destination, ip.source, g.dstPort, g.srcPort, g.ack, 0, false);
  else {
    const segLen = <u32>g.dataLength + ((g.flags & SYN) != 0 ? 1 : 0) + ((g.flags & FIN) != 0 ? 1 : 0);
    t.sendReset(ip.destination, ip.source, g.dstPort, g.srcPort, 0, g.seq + segLen, true);
  }
}

export function listenInput(t: TcpLayer, l: TcpListener, ip: Ipv4Packet, g: SegmentIn): void {
  if ((g.flags & RST) != 0) return;
  if ((g.flags & ACK) != 0) {
    resetFor(t, ip, g);
    return;
  }
  if ((g.flags & SYN) == 0) return;
  const s = t.stack;
  if (l.halfOpen >= 2 * l.backlog || l.acceptQueue.length >= l.backlog || t.conns.size >= MAX_CONNECTIONS) {
    s.counters.tcpBacklogDrops++;
    l.dropped++;
    return;
  }
  const c = new TcpConn(t, ip.destination, g.dstPort, ip.source, g.srcPort);
  t.initConn(c);
  c.state = TcpState.SynReceived;
  c.irs = g.seq;
  c.rcvNxt = g.seq + 1;
  c.mss = g.mss > 0 ? min(g.mss, t.ourMss) : DEFAULT_PEER_MSS;
  c.sndWnd = g.window;
  c.sndWl1 = g.seq;
  if (g.wscale >= 0 && windowScaling) {
    c.peerOfferedScale = true;
    c.sndShift = <u32>g.wscale;
    c.rcvShift = RECEIVE_SHIFT;
  }
  c.listener = l;
  c.deadlineUs = s.nowUs + 75_000_000;
  l.halfOpen++;
  t.conns.set(c.key, c);
  s.counters.tcpPassiveOpens++;
  t.sendSyn(c, true);
}

export function synSentInput(t: TcpLayer, c: TcpConn, g: SegmentIn): void {
  const hasAck = (g.flags & ACK) != 0;
  if (hasAck && (seqLe(g.ack, c.iss) || seqGt(g.ack, c.sndMax))) {
    if ((g.flags & RST) == 0) t.sendReset(c.localIp, c.remoteIp, c.localPort, c.remotePort, g.ack, 0, false);
    return;
  }
  if ((g.flags & RST) != 0) {
    if (hasAck) {
      c.error = "connection refused";
      t.stack.counters.tcpResetsIn++;
      t.remove(c);
    }
    return;
  }
  if ((g.flags & SYN) == 0) return;
  c.irs = g.seq;
  c.rcvNxt = g.seq + 1;
  c.mss = g.mss > 0 ? min(g.mss, t.ourMss) : DEFAULT_PEER_MSS;
  if (g.wscale >= 0 && windowScaling) { // we offered it in our SYN; the peer's SYN agrees
    c.peerOfferedScale = true;
    c.sndShift = <u32>g.wscale;
    c.rcvShift = RECEIVE_SHIFT;
  }
  if (hasAck) {
    rttSampleFromSyn(t, c);
    c.sndUna = g.ack;
    c.sndWnd = g.window;
    c.sndWl1 = g.seq;
    c.sndWl2 = g.ack;
    establish(c);
    t.growBuffers(c);
    c.ackNeeded = true;
    t.output(c);
    t.sendAckIfNeeded(c);
  } else {
    c.state = TcpState.SynReceived; // simultaneous open
    t.sendSyn(c, true);
  }
}

export function establish(c: TcpConn): void {
  c.state = TcpState.Established;
  c.rtxDeadlineUs = 0;
  c.retries = 0;
  c.cwnd = <u32>(10 * c.mss); // RFC 6928 initial window
  if (c.sndShift != 0 || c.rcvShift != 0) c.ssthresh = 1 << 20; // RFC 5681: as high as the (scaled) window allows
}

export function rttSampleFromSyn(t: TcpLayer, c: TcpConn): void {
  if (c.retries == 0) rttSample(c, t.stack.nowUs - c.createdUs); // Karn: not after a retransmitted SYN
}

/** RFC 6298 2.2-2.4. */
export function rttSample(c: TcpConn, r: u64): void {
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
export function segmentArrives(t: TcpLayer, c: TcpConn, frame: Uint8Array, g: SegmentIn): void {
  const s = t.stack;
  let seq = g.seq;
  let data = g.data;
  let dataLength = g.dataLength;
  const flags = g.flags;
  const segLen = <u32>dataLength + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0);
  const wnd = c.receiveWindow();

  if (c.state == TcpState.SynReceived && (flags & SYN) != 0 && (flags & ACK) == 0 && seq == c.irs) {
    t.sendSegment(c, c.iss, SYN | ACK, 0, 0, true); // our SYN-ACK was lost
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
      t.sendAckIfNeeded(c);
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
      t.remove(c);
    } else {
      c.ackNeeded = true;
      t.sendAckIfNeeded(c);
    }
    return;
  }
  // 4. SYN in a synchronized state: challenge ACK
  if ((flags & SYN) != 0) {
    c.ackNeeded = true;
    t.sendAckIfNeeded(c);
    return;
  }
  // 5. ACK
  if ((flags & ACK) == 0) return;
  if (c.state == TcpState.SynReceived) {
    if (seqLe(g.ack, c.sndUna) || seqGt(g.ack, c.sndMax)) {
      t.sendReset(c.localIp, c.remoteIp, c.localPort, c.remotePort, g.ack, 0, false);
      return;
    }
    const l = c.listener;
    if (l != null) l.halfOpen--;
    c.listener = null;
    rttSampleFromSyn(t, c);
    establish(c);
    t.growBuffers(c);
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
  if (!processAck(t, c, g, dataLength)) return;

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
        drainOutOfOrder(t, c);
        // RFC 5681 4.2 / RFC 1122 4.2.3.2: an ACK at least every second full-sized segment, so
        // the sender's window opens (and its slow start grows) while we are still in a batch.
        // Only on scaled connections: with QEMU's user network (no scaling, 64 KiB windows) the
        // extra ACKs measured slower (host->guest ~120 vs ~500 Mbit/s, bench/net_ab.ts), and
        // the ACK at the end of each batch (flushAcks) is what unscaled peers get.
        if (c.rcvShift != 0 && dataLength >= c.mss && ++c.fullSegmentsUnacked >= 2) {
          c.ackNeeded = true;
          t.sendAckIfNeeded(c);
          s.counters.tcpQuickAcks++;
        }
      } else {
        s.counters.tcpOutOfOrder++;
        keepOutOfOrder(c, seq, frame.slice(data, data + dataLength), (flags & FIN) != 0);
        c.ackNeeded = true;
        t.sendAckIfNeeded(c); // a duplicate ACK now: the sender's fast retransmit counts them
        return;
      }
    }
    c.ackNeeded = true;
  }
  // 8. FIN (only when everything before it has arrived)
  if ((flags & FIN) != 0 && originalEnd == c.rcvNxt && c.state != TcpState.SynReceived) acceptFin(t, c);
  if (c.state == TcpState.Closed) return;
  t.output(c);
}

/** Returns false when the segment must not be processed further. */
export function processAck(t: TcpLayer, c: TcpConn, g: SegmentIn, dataLength: i32): bool {
  const s = t.stack;
  const ack = g.ack;
  if (seqGt(ack, c.sndMax)) {
    c.ackNeeded = true; // acknowledges something we never sent
    t.sendAckIfNeeded(c);
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
      rttSample(c, s.nowUs - c.rttStartUs);
    }
    c.retries = 0;
    c.dupAcks = 0;
    // RFC 5681 3.1
    const mss = <u32>c.mss;
    // slow start with appropriate byte counting (RFC 3465, L = 2 SMSS) on scaled connections: an
    // ACK for two segments counts as two, so cwnd doubles each round trip; unscaled ones keep
    // RFC 5681's min(N, SMSS) (measured better against QEMU's user network, see above)
    if (c.cwnd < c.ssthresh) c.cwnd += min(<u32>dataAcked, c.sndShift != 0 ? 2 * mss : mss);
    else c.cwnd += max<u32>(1, mss * mss / max<u32>(c.cwnd, 1));
    if (c.cwnd > 1 << 20) c.cwnd = 1 << 20;
    if (c.sndUna == c.sndMax) c.rtxDeadlineUs = 0;
    else t.armTimer(c);
  } else if (ack == c.sndUna && dataLength == 0 && (g.flags & FIN) == 0 && g.window == c.sndWnd && c.sndMax != c.sndUna) {
    c.dupAcks++;
    if (c.dupAcks == 3) t.fastRetransmit(c);
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
    } else if (c.state == TcpState.Closing) enterTimeWait(t, c);
    else if (c.state == TcpState.LastAck) {
      t.remove(c);
      return false;
    }
  }
  return true;
}

export function acceptFin(t: TcpLayer, c: TcpConn): void {
  if (c.finReceived) {
    if (c.state == TcpState.TimeWait) enterTimeWait(t, c); // a retransmitted FIN: ACK again, restart
    c.ackNeeded = true;
    t.sendAckIfNeeded(c);
    return;
  }
  c.finReceived = true;
  c.rcvNxt++;
  c.ackNeeded = true;
  if (c.state == TcpState.Established) c.state = TcpState.CloseWait;
  else if (c.state == TcpState.FinWait1) {
    if (c.finAcked) enterTimeWait(t, c);
    else c.state = TcpState.Closing;
  } else if (c.state == TcpState.FinWait2) enterTimeWait(t, c);
  t.sendAckIfNeeded(c);
}

export function enterTimeWait(t: TcpLayer, c: TcpConn): void {
  c.state = TcpState.TimeWait;
  c.deadlineUs = t.stack.nowUs + timeWaitUs;
  c.rtxDeadlineUs = 0;
  c.sendBuf = EMPTY_RING;
  if (c.recvBuf.length == 0) c.recvBuf = EMPTY_RING; // 64 KiB back per TIME_WAIT connection
  c.outOfOrder.length = 0;
}

export function keepOutOfOrder(c: TcpConn, seq: u32, data: Uint8Array, fin: bool): void {
  for (let i = 0; i < c.outOfOrder.length; i++) if (c.outOfOrder[i].seq == seq) return; // a duplicate
  if (c.outOfOrder.length >= MAX_OUT_OF_ORDER) return;
  c.outOfOrder.push(new Segment(seq, data, fin));
}

export function drainOutOfOrder(t: TcpLayer, c: TcpConn): void {
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
        t.stack.counters.tcpBytesIn += <u64>n;
        if (sg.fin && n == sg.data.length - skip) acceptFin(t, c);
      }
      break;
    }
  }
}

/** TcpLayer.poll: expires TIME_WAIT, FIN_WAIT_2 and SYN_RECEIVED, fires due retransmission timers. */
export function pollTimers(t: TcpLayer): void {
  if (t.conns.size == 0) return;
  const now = t.stack.nowUs;
  const list = t.conns.values();
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c.state == TcpState.TimeWait || c.state == TcpState.FinWait2 ||
      (c.state == TcpState.SynReceived && c.rtxDeadlineUs == 0)) {
      if (c.deadlineUs != 0 && now >= c.deadlineUs) t.remove(c);
      continue;
    }
    if (c.rtxDeadlineUs == 0 || now < c.rtxDeadlineUs) continue;
    timerFired(t, c);
  }
}

export function timerFired(t: TcpLayer, c: TcpConn): void {
  const s = t.stack;
  c.rtoUs = min<u64>(c.rtoUs * 2, MAX_RTO_US);
  c.rttTiming = false;
  if (c.state == TcpState.SynSent || c.state == TcpState.SynReceived) {
    c.retries++;
    if (c.retries > MAX_SYN_RETRIES) {
      s.counters.tcpTimeouts++;
      c.error = "connection timed out";
      t.remove(c);
      return;
    }
    s.counters.tcpRetransmits++;
    c.retransmits++;
    t.sendSyn(c, c.state == TcpState.SynReceived);
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
    t.armTimer(c);
    t.output(c);
    return;
  }
  if (c.sendBuf.length > 0 && c.sndWnd == 0) {
    // zero-window probe: one byte past the window, whose ACK tells us the window
    t.sendSegment(c, c.sndNxt, ACK, 0, 1, false);
    c.sndNxt++;
    c.sndMax = c.sndNxt;
    t.armTimer(c);
    return;
  }
  c.rtxDeadlineUs = 0;
}
