// ARP (RFC 826) for IPv4 over Ethernet: a cache of address -> MAC whose entries expire, and
// the packets waiting for a resolution (kept a few per address, re-asked once a second).
//
//   htype 1 | ptype 0x0800 | hlen 6 | plen 4 | op (1 request, 2 reply)
//   sender MAC | sender IP | target MAC | target IP          (28 bytes)
import { get16, get32, put16, put32, getMac, putMac } from "./bytes";
import { ETH_HEADER, ETH_TYPE_ARP, MAC_BROADCAST, writeEthHeader } from "./eth";
import { NetStack } from "./stack";

export const ARP_PACKET: i32 = 28;
/** A learned entry lives this long (Linux's reachable time is of this order). */
export let arpEntryLifetimeUs: u64 = 60_000_000;
const ARP_RETRY_US: u64 = 1_000_000;
const ARP_TRIES: i32 = 3;
const MAX_WAITING_PER_ADDRESS: i32 = 16;

export function setArpLifetimeUs(us: u64): void {
  arpEntryLifetimeUs = us;
}

export class ArpEntry {
  constructor(public ip: u32, public mac: u64, public expiresUs: u64) {}
}

class Resolution {
  waiting: Array<Uint8Array> = new Array<Uint8Array>(0); // whole frames, MAC filled in later
  tries: i32 = 0;
  nextTryUs: u64 = 0;
  constructor(public ip: u32) {}
}

export class ArpTable {
  entries: Map<u32, ArpEntry> = new Map<u32, ArpEntry>();
  private pending: Map<u32, Resolution> = new Map<u32, Resolution>();

  constructor(public stack: NetStack) {}

  /** The MAC for `ip`, or -1 when unknown or expired. */
  lookup(ip: u32): i64 {
    if (!this.entries.has(ip)) return -1;
    const e = this.entries.get(ip);
    if (e.expiresUs <= this.stack.nowUs) {
      this.entries.delete(ip);
      return -1;
    }
    return <i64>e.mac;
  }

  learn(ip: u32, mac: u64): void {
    if (ip == 0 || mac == 0 || mac == MAC_BROADCAST) return;
    this.entries.set(ip, new ArpEntry(ip, mac, this.stack.nowUs + arpEntryLifetimeUs));
    if (this.pending.has(ip)) {
      const r = this.pending.get(ip);
      this.pending.delete(ip);
      for (let i = 0; i < r.waiting.length; i++) {
        const f = r.waiting[i];
        putMac(f, 0, mac);
        this.stack.transmitFrame(f);
      }
    }
  }

  /** Sends `frame` (Ethernet header to be completed) once `ip` resolves. */
  sendWhenResolved(ip: u32, frame: Uint8Array): void {
    let r: Resolution;
    if (this.pending.has(ip)) r = this.pending.get(ip);
    else {
      r = new Resolution(ip);
      this.pending.set(ip, r);
      this.sendRequest(ip);
      r.tries = 1;
      r.nextTryUs = this.stack.nowUs + ARP_RETRY_US;
    }
    if (r.waiting.length >= MAX_WAITING_PER_ADDRESS) {
      r.waiting.shift();
      this.stack.counters.arpUnresolvedDrops++;
    }
    r.waiting.push(frame);
  }

  /** Retries and gives up on resolutions; drops expired entries. */
  poll(): void {
    const now = this.stack.nowUs;
    if (this.pending.size > 0) {
      const list = this.pending.values();
      for (let i = 0; i < list.length; i++) {
        const r = list[i];
        if (r.nextTryUs > now) continue;
        if (r.tries >= ARP_TRIES) {
          this.stack.counters.arpUnresolvedDrops += <u64>r.waiting.length;
          this.pending.delete(r.ip);
          continue;
        }
        r.tries++;
        r.nextTryUs = now + ARP_RETRY_US;
        this.sendRequest(r.ip);
      }
    }
  }

  /** Entries still valid (netctl arp). */
  validEntries(): Array<ArpEntry> {
    const out = new Array<ArpEntry>(0);
    const list = this.entries.values();
    for (let i = 0; i < list.length; i++) if (list[i].expiresUs > this.stack.nowUs) out.push(list[i]);
    return out;
  }

  sendRequest(ip: u32): void {
    this.send(1, MAC_BROADCAST, 0, ip);
    this.stack.counters.arpRequestsSent++;
  }

  private send(op: u32, ethDst: u64, targetMac: u64, targetIp: u32): void {
    const f = new Uint8Array(ETH_HEADER + ARP_PACKET);
    const s = this.stack;
    writeEthHeader(f, ethDst, s.nic.mac, ETH_TYPE_ARP);
    const a = ETH_HEADER;
    put16(f, a, 1);
    put16(f, a + 2, 0x0800);
    f[a + 4] = 6;
    f[a + 5] = 4;
    put16(f, a + 6, op);
    putMac(f, a + 8, s.nic.mac);
    put32(f, a + 14, s.address);
    putMac(f, a + 18, targetMac);
    put32(f, a + 24, targetIp);
    s.transmitFrame(f);
  }

  /** An ARP packet at ETH_HEADER of `frame`. */
  input(frame: Uint8Array): void {
    const s = this.stack;
    s.counters.arpIn++;
    const a = ETH_HEADER;
    if (frame.length < a + ARP_PACKET || get16(frame, a) != 1 || get16(frame, a + 2) != 0x0800 || frame[a + 4] != 6 ||
      frame[a + 5] != 4) {
      s.counters.arpBad++;
      return;
    }
    const op = get16(frame, a + 6);
    const senderMac = getMac(frame, a + 8);
    const senderIp = get32(frame, a + 14);
    const targetIp = get32(frame, a + 24);
    if (op != 1 && op != 2) {
      s.counters.arpBad++;
      return;
    }
    const forUs = s.address != 0 && targetIp == s.address;
    // RFC 826: update an existing entry from any packet; add one when the packet is for us
    if (forUs || this.entries.has(senderIp) || this.pending.has(senderIp)) this.learn(senderIp, senderMac);
    if (op == 1 && forUs) {
      this.send(2, senderMac, senderMac, senderIp);
      s.counters.arpRepliesSent++;
    }
  }
}
