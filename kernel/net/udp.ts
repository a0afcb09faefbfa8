// UDP (RFC 768): ports bound by kernel services (the DHCP client), datagrams queued per port.
//
//   source port | destination port | length | checksum (0 = none) | data
import { get16, put16, sumBytes, finishChecksum, pseudoHeaderSum } from "./bytes";
import { IP_PAYLOAD, PROTO_UDP, Ipv4Packet } from "./ipv4";
import { NetStack } from "./stack";

export const UDP_HEADER: i32 = 8;
const MAX_QUEUED: i32 = 32;

export class Datagram {
  constructor(public source: u32, public sourcePort: u32, public data: Uint8Array) {}
}

export class UdpPort {
  queue: Array<Datagram> = new Array<Datagram>(0);
  dropped: u64 = 0;
  constructor(public port: u32) {}

  take(): Datagram | null {
    return this.queue.length > 0 ? this.queue.shift() : null;
  }
}

export class UdpLayer {
  ports: Map<u32, UdpPort> = new Map<u32, UdpPort>();

  constructor(public stack: NetStack) {}

  bind(port: u32): UdpPort | null {
    if (port == 0 || port > 65535 || this.ports.has(port)) return null;
    const p = new UdpPort(port);
    this.ports.set(port, p);
    return p;
  }

  unbind(port: u32): void {
    this.ports.delete(port);
  }

  input(frame: Uint8Array, ip: Ipv4Packet): void {
    const s = this.stack;
    s.counters.udpIn++;
    const o = ip.payload;
    if (ip.payloadLength < UDP_HEADER) {
      s.counters.udpBad++;
      return;
    }
    const length = <i32>get16(frame, o + 4);
    if (length < UDP_HEADER || length > ip.payloadLength) {
      s.counters.udpBad++;
      return;
    }
    if (get16(frame, o + 6) != 0) {
      const sum = sumBytes(frame, o, length, pseudoHeaderSum(ip.source, ip.destination, PROTO_UDP, <u32>length));
      if (finishChecksum(sum) != 0) {
        s.counters.udpBad++;
        return;
      }
    }
    const port = get16(frame, o + 2);
    if (!this.ports.has(port)) {
      s.counters.udpNoPort++;
      return;
    }
    const p = this.ports.get(port);
    if (p.queue.length >= MAX_QUEUED) {
      p.dropped++;
      return;
    }
    p.queue.push(new Datagram(ip.source, get16(frame, o), frame.slice(o + UDP_HEADER, o + length)));
  }

  /** Sends `data` from `srcPort` to dst:dstPort (dst may be the broadcast address). */
  send(srcPort: u32, dst: u32, dstPort: u32, data: Uint8Array): bool {
    const s = this.stack;
    const length = UDP_HEADER + data.length;
    const f = s.newIpFrame(length);
    const o = IP_PAYLOAD;
    put16(f, o, srcPort);
    put16(f, o + 2, dstPort);
    put16(f, o + 4, <u32>length);
    put16(f, o + 6, 0);
    memory.copy(f.dataStart + <usize>(o + UDP_HEADER), data.dataStart, <usize>data.length);
    let sum = finishChecksum(sumBytes(f, o, length, pseudoHeaderSum(s.address, dst, PROTO_UDP, <u32>length)));
    if (sum == 0) sum = 0xffff;
    put16(f, o + 6, sum);
    s.counters.udpOut++;
    return s.sendIpFrame(f, dst, PROTO_UDP, length);
  }
}
