// Ethernet II framing (no VLANs, no FCS: the device strips and adds it).
//
//   +----------+----------+-------+---------
//   | dst (6)  | src (6)  | type  | payload   type 0x0800 IPv4, 0x0806 ARP
//   +----------+----------+-------+---------
import { get16, put16, getMac, putMac } from "./bytes";

export const ETH_HEADER: i32 = 14;
export const ETH_TYPE_IPV4: u32 = 0x0800;
export const ETH_TYPE_ARP: u32 = 0x0806;
export const MAC_BROADCAST: u64 = 0xffffffffffff;

export function ethDestination(frame: Uint8Array): u64 {
  return getMac(frame, 0);
}

export function ethSource(frame: Uint8Array): u64 {
  return getMac(frame, 6);
}

export function ethType(frame: Uint8Array): u32 {
  return get16(frame, 12);
}

/** Writes the header into the first 14 bytes of `frame`. */
export function writeEthHeader(frame: Uint8Array, dst: u64, src: u64, type: u32): void {
  putMac(frame, 0, dst);
  putMac(frame, 6, src);
  put16(frame, 12, type);
}
