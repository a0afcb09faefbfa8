// ICMP (RFC 792): echo replies for pings to us, and the client side of `ping` (requests
// carry an id and sequence number; replies are matched and timed).
//
//   type (8 request, 0 reply) | code | checksum | identifier | sequence | data
import { get16, put16, put32, get32, sumBytes, finishChecksum } from "./bytes";
import { IP_PAYLOAD, PROTO_ICMP, Ipv4Packet } from "./ipv4";
import { NetStack } from "./stack";

export class EchoReply {
  constructor(public from: u32, public sequence: u32, public rttUs: u64, public bytes: i32, public ttl: u32) {}
}

export class IcmpLayer {
  /** Identifier of our echo requests, and the replies not yet taken by the pinger. */
  identifier: u32 = 0x5153;
  replies: Array<EchoReply> = new Array<EchoReply>(0);

  constructor(public stack: NetStack) {}

  input(frame: Uint8Array, ip: Ipv4Packet): void {
    const s = this.stack;
    s.counters.icmpIn++;
    const o = ip.payload;
    const len = ip.payloadLength;
    if (len < 8 || finishChecksum(sumBytes(frame, o, len, 0)) != 0) {
      s.counters.icmpBad++;
      return;
    }
    const type = <u32>frame[o];
    if (type == 8) {
      // echo request: the same bytes back as a reply
      const out = s.newIpFrame(len);
      memory.copy(out.dataStart + <usize>IP_PAYLOAD, frame.dataStart + <usize>o, <usize>len);
      out[IP_PAYLOAD] = 0;
      put16(out, IP_PAYLOAD + 2, 0);
      put16(out, IP_PAYLOAD + 2, finishChecksum(sumBytes(out, IP_PAYLOAD, len, 0)));
      s.sendIpFrame(out, ip.source, PROTO_ICMP, len);
      s.counters.icmpEchoRepliesSent++;
    } else if (type == 0 && get16(frame, o + 4) == this.identifier && len >= 16) {
      s.counters.icmpEchoRepliesIn++;
      const sentAt = (<u64>get32(frame, o + 8) << 32) | <u64>get32(frame, o + 12);
      const rtt = s.nowUs >= sentAt ? s.nowUs - sentAt : 0;
      if (this.replies.length < 64) this.replies.push(new EchoReply(ip.source, get16(frame, o + 6), rtt, len, ip.ttl));
    }
  }

  /** Sends echo request `sequence` to `dst` with `dataBytes` of payload (>= 8: the send time). */
  sendEcho(dst: u32, sequence: u32, dataBytes: i32): bool {
    const s = this.stack;
    const n = 8 + max(dataBytes, 8);
    const out = s.newIpFrame(n);
    const o = IP_PAYLOAD;
    out[o] = 8;
    out[o + 1] = 0;
    put16(out, o + 4, this.identifier);
    put16(out, o + 6, sequence & 0xffff);
    put32(out, o + 8, <u32>(s.nowUs >> 32));
    put32(out, o + 12, <u32>s.nowUs);
    for (let i = 16; i < n; i++) out[o + i] = <u8>i;
    put16(out, o + 2, finishChecksum(sumBytes(out, o, n, 0)));
    return s.sendIpFrame(out, dst, PROTO_ICMP, n);
  }

  takeReply(): EchoReply | null {
    if (this.replies.length == 0) return null;
    return this.replies.shift();
  }
}
