// IPv4 (RFC 791): header checks on the way in, header building on the way out.
//
//   ver/ihl | tos | total length | id | flags/fragment offset | ttl | protocol | checksum
//   source | destination | options (ihl > 5, skipped)
//
// Fragments (MF set or a non-zero offset) are dropped and counted: nothing we talk to sends
// them with a 1500-byte MTU, and reassembly is a memory-exhaustion door for hostile input.
import { get16, get32, put16, put32, sumBytes, finishChecksum } from "./bytes";
import { ETH_HEADER } from "./eth";
import { NetCounters } from "./counters";

export const IP_HEADER: i32 = 20;
/** Where an IP payload starts in a frame built by newIpFrame(). */
export const IP_PAYLOAD: i32 = ETH_HEADER + IP_HEADER;
export const PROTO_ICMP: u32 = 1;
export const PROTO_TCP: u32 = 6;
export const PROTO_UDP: u32 = 17;
export const IP_BROADCAST: u32 = 0xffffffff;

/** What the IPv4 header of a received frame says (valid when ok). */
export class Ipv4Packet {
  ok: bool = false;
  source: u32 = 0;
  destination: u32 = 0;
  protocol: u32 = 0;
  /** Offset of the payload in the frame, and its length (total length minus header). */
  payload: i32 = 0;
  payloadLength: i32 = 0;
  ttl: u32 = 0;
}

/** Checks the header at ETH_HEADER; counts the reason when it is dropped. */
export function parseIpv4(frame: Uint8Array, c: NetCounters, out: Ipv4Packet): bool {
  out.ok = false;
  const h = ETH_HEADER;
  if (frame.length < h + IP_HEADER) {
    c.ipBadHeader++;
    return false;
  }
  const verIhl = <u32>frame[h];
  const ihl = <i32>(verIhl & 15) * 4;
  if (verIhl >> 4 != 4 || ihl < IP_HEADER || frame.length < h + ihl) {
    c.ipBadHeader++;
    return false;
  }
  const total = <i32>get16(frame, h + 2);
  if (total < ihl || h + total > frame.length) {
    c.ipBadHeader++;
    return false;
  }
  if (finishChecksum(sumBytes(frame, h, ihl, 0)) != 0) {
    c.ipBadChecksum++;
    return false;
  }
  const fragment = get16(frame, h + 6);
  if ((fragment & 0x2000) != 0 || (fragment & 0x1fff) != 0) {
    c.ipFragmentsDropped++;
    return false;
  }
  out.ttl = <u32>frame[h + 8];
  out.protocol = <u32>frame[h + 9];
  out.source = get32(frame, h + 12);
  out.destination = get32(frame, h + 16);
  out.payload = h + ihl;
  out.payloadLength = total - ihl;
  out.ok = true;
  return true;
}

let nextId: u32 = 1;

/** Fills the IPv4 header of a frame whose payload is `payloadLength` bytes at IP_PAYLOAD. */
export function writeIpv4Header(frame: Uint8Array, src: u32, dst: u32, protocol: u32, payloadLength: i32): void {
  const h = ETH_HEADER;
  frame[h] = 0x45;
  frame[h + 1] = 0;
  put16(frame, h + 2, <u32>(IP_HEADER + payloadLength));
  put16(frame, h + 4, nextId++ & 0xffff);
  put16(frame, h + 6, 0x4000); // DF: we never fragment
  frame[h + 8] = 64;
  frame[h + 9] = <u8>protocol;
  put16(frame, h + 10, 0);
  put32(frame, h + 12, src);
  put32(frame, h + 16, dst);
  put16(frame, h + 10, finishChecksum(sumBytes(frame, h, IP_HEADER, 0)));
}
