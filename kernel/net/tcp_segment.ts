// TCP segment format: flags, header parsing and checks, out-of-order entries, the connection key.
//
// parseSegment verifies the checksum (with the IPv4 pseudo-header) and the header length and
// walks the options with bounds checks; MSS and the window scale (RFC 7323 2.2) are used.
//
//   src port | dst port | seq | ack | data offset, flags | window | checksum | urgent | options
import { get16, get32, sumBytes, finishChecksum, pseudoHeaderSum } from "./bytes";
import { PROTO_TCP, Ipv4Packet } from "./ipv4";
import { NetCounters } from "./counters";

export const FIN: u32 = 1;
export const SYN: u32 = 2;
export const RST: u32 = 4;
export const PSH: u32 = 8;
export const ACK: u32 = 16;
export const TCP_HEADER: i32 = 20;

export class Segment {
  constructor(public seq: u32, public data: Uint8Array, public fin: bool) {}
}

export function connKey(remoteIp: u32, remotePort: u32, localPort: u32): u64 {
  return (<u64>remoteIp << 32) | (<u64>remotePort << 16) | <u64>localPort;
}

/** Parsed fields of one incoming segment. */
export class SegmentIn {
  srcPort: u32 = 0;
  dstPort: u32 = 0;
  seq: u32 = 0;
  ack: u32 = 0;
  flags: u32 = 0;
  window: u32 = 0;
  mss: i32 = 0;
  /** The window scale option's shift (at most 14), -1 when the segment has none. */
  wscale: i32 = -1;
  data: i32 = 0; // offset in the frame
  dataLength: i32 = 0;
}

/** Fills `g` from the TCP segment in `ip`; false (and a counter) when it is malformed. */
export function parseSegment(frame: Uint8Array, ip: Ipv4Packet, g: SegmentIn, counters: NetCounters): bool {
  const o = ip.payload;
  const len = ip.payloadLength;
  if (len < TCP_HEADER) {
    counters.tcpBad++;
    return false;
  }
  if (finishChecksum(sumBytes(frame, o, len, pseudoHeaderSum(ip.source, ip.destination, PROTO_TCP, <u32>len))) != 0) {
    counters.tcpBadChecksum++;
    return false;
  }
  const hl = <i32>(frame[o + 12] >> 4) * 4;
  if (hl < TCP_HEADER || hl > len) {
    counters.tcpBad++;
    return false;
  }
  g.srcPort = get16(frame, o);
  g.dstPort = get16(frame, o + 2);
  g.seq = get32(frame, o + 4);
  g.ack = get32(frame, o + 8);
  g.flags = <u32>frame[o + 13] & 0x3f;
  g.window = get16(frame, o + 14);
  g.data = o + hl;
  g.dataLength = len - hl;
  g.mss = 0;
  g.wscale = -1;
  // options: MSS and window scale matter to us; walk them with bounds checks
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
    else if (kind == 3 && optLen == 3) g.wscale = min(<i32>frame[p + 2], 14); // RFC 7323 2.3: more than 14 is 14
    p += optLen;
  }
  if (g.srcPort == 0 || g.dstPort == 0) {
    counters.tcpBad++;
    return false;
  }
  return true;
}
