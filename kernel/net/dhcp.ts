// DHCP client (RFC 2131): DISCOVER -> OFFER -> REQUEST -> ACK, then the stack is configured
// with the leased address, netmask and router. Retries with backoff; renews at half the
// lease (a REQUEST for the same address). QEMU's user network leases 10.0.2.15, router
// 10.0.2.2 (which reaches the host's loopback), DNS 10.0.2.3.
//
// Message (BOOTP, 236 bytes, then the magic cookie 99.130.83.99 and options):
//   op | htype | hlen | hops | xid | secs | flags | ciaddr | yiaddr | siaddr | giaddr
//   chaddr (16) | sname (64) | file (128) | cookie | options (code, length, value)...
import { get32, put16, put32, putMac, ipToString } from "./bytes";
import { IP_BROADCAST } from "./ipv4";
import { NetStack } from "./stack";
import { UdpPort } from "./udp";

const CLIENT_PORT: u32 = 68;
const SERVER_PORT: u32 = 67;
const COOKIE: u32 = 0x63825363;
const DISCOVER: u32 = 1;
const OFFER: u32 = 2;
const REQUEST: u32 = 3;
const ACK_MSG: u32 = 5;
const NAK: u32 = 6;

export enum DhcpState { Idle, Selecting, Requesting, Bound }

export class DhcpClient {
  state: DhcpState = DhcpState.Idle;
  xid: u32 = 0;
  offered: u32 = 0;
  server: u32 = 0;
  leaseSeconds: u32 = 0;
  boundAtUs: u64 = 0;
  startedUs: u64 = 0;
  /** Microseconds from start() to the first ACK (0 until bound). */
  firstLeaseUs: u64 = 0;
  private port: UdpPort | null = null;
  private nextSendUs: u64 = 0;
  private retryUs: u64 = 1_000_000;
  private renewing: bool = false;

  constructor(public stack: NetStack) {}

  start(): void {
    if (this.port == null) this.port = this.stack.udp.bind(CLIENT_PORT);
    this.xid = <u32>this.stack.tcp.rng.next();
    this.startedUs = this.stack.nowUs;
    this.state = DhcpState.Selecting;
    this.retryUs = 1_000_000;
    this.send(DISCOVER);
  }

  describe(): string {
    if (this.state == DhcpState.Bound) {
      return "bound " + ipToString(this.stack.address) + " from " + ipToString(this.server) + ", lease " +
        this.leaseSeconds.toString() + " s";
    }
    return this.state == DhcpState.Idle ? "idle" : this.state == DhcpState.Selecting ? "discovering" : "requesting";
  }

  poll(): void {
    const s = this.stack;
    const port = this.port;
    if (port == null) return;
    let d = port.take();
    while (d != null) {
      this.input(d.data);
      d = port.take();
    }
    const now = s.nowUs;
    if (this.state == DhcpState.Bound) {
      // renew at T1 = half the lease
      if (!this.renewing && now >= this.boundAtUs + <u64>this.leaseSeconds * 500_000) {
        this.renewing = true;
        this.state = DhcpState.Requesting;
        this.offered = s.address;
        this.retryUs = 1_000_000;
        this.send(REQUEST);
      }
      return;
    }
    if (this.state != DhcpState.Idle && now >= this.nextSendUs) {
      this.retryUs = min<u64>(this.retryUs * 2, 16_000_000);
      if (this.state == DhcpState.Requesting && !this.renewing && this.retryUs >= 16_000_000) this.start();
      else this.send(this.state == DhcpState.Selecting ? DISCOVER : REQUEST);
    }
  }

  private send(type: u32): void {
    const s = this.stack;
    const m = new Uint8Array(300);
    m[0] = 1;
    m[1] = 1;
    m[2] = 6;
    put32(m, 4, this.xid);
    put16(m, 8, <u32>((s.nowUs - this.startedUs) / 1_000_000));
    put16(m, 10, 0x8000); // broadcast replies: we have no address yet
    if (this.renewing) put32(m, 12, s.address);
    putMac(m, 28, s.nic.mac);
    put32(m, 236, COOKIE);
    let o = 240;
    m[o++] = 53;
    m[o++] = 1;
    m[o++] = <u8>type;
    if (type == REQUEST) {
      m[o++] = 50;
      m[o++] = 4;
      put32(m, o, this.offered);
      o += 4;
      if (this.server != 0) {
        m[o++] = 54;
        m[o++] = 4;
        put32(m, o, this.server);
        o += 4;
      }
    }
    m[o++] = 55; // parameter request list: subnet, router, DNS
    m[o++] = 3;
    m[o++] = 1;
    m[o++] = 3;
    m[o++] = 6;
    m[o++] = 255;
    s.udp.send(CLIENT_PORT, IP_BROADCAST, SERVER_PORT, m);
    this.nextSendUs = s.nowUs + this.retryUs;
  }

  /** One message from port 67; anything malformed or not ours is counted and ignored. */
  input(m: Uint8Array): void {
    const s = this.stack;
    s.counters.dhcpMessagesIn++;
    if (m.length < 240 || m[0] != 2 || get32(m, 4) != this.xid || get32(m, 236) != COOKIE) {
      s.counters.dhcpBad++;
      return;
    }
    const yiaddr = get32(m, 16);
    let type: u32 = 0;
    let server: u32 = 0;
    let mask: u32 = 0;
    let router: u32 = 0;
    let dns: u32 = 0;
    let lease: u32 = 3600;
    let o = 240;
    while (o < m.length) {
      const code = <u32>m[o];
      if (code == 255) break;
      if (code == 0) {
        o++;
        continue;
      }
      if (o + 1 >= m.length) break;
      const len = <i32>m[o + 1];
      const v = o + 2;
      if (v + len > m.length) break;
      if (code == 53 && len >= 1) type = <u32>m[v];
      else if (code == 54 && len >= 4) server = get32(m, v);
      else if (code == 1 && len >= 4) mask = get32(m, v);
      else if (code == 3 && len >= 4) router = get32(m, v);
      else if (code == 6 && len >= 4) dns = get32(m, v);
      else if (code == 51 && len >= 4) lease = get32(m, v);
      o = v + len;
    }
    if (type == OFFER && this.state == DhcpState.Selecting && yiaddr != 0) {
      this.offered = yiaddr;
      this.server = server;
      this.state = DhcpState.Requesting;
      this.retryUs = 1_000_000;
      this.send(REQUEST);
    } else if (type == ACK_MSG && this.state == DhcpState.Requesting && yiaddr != 0) {
      s.configure(yiaddr, mask != 0 ? mask : 0xffffff00, router);
      s.dns = dns;
      if (server != 0) this.server = server;
      this.leaseSeconds = max<u32>(lease, 60);
      this.boundAtUs = s.nowUs;
      if (this.firstLeaseUs == 0) this.firstLeaseUs = max<u64>(s.nowUs - this.startedUs, 1);
      this.state = DhcpState.Bound;
      this.renewing = false;
      s.counters.dhcpLeases++;
    } else if (type == NAK && this.state == DhcpState.Requesting) {
      s.configure(0, 0, 0);
      this.renewing = false;
      this.start();
    }
  }
}
