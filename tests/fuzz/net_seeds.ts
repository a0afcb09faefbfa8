// Seed inputs of the net_rx target (format in net_rx.entry.ts): ARP, ICMP, UDP, DHCP and TCP
// conversations with the HTTP API, the echo service and the stack's own client connection.
// The harness fixes checksums, lengths and sequence numbers where the flags ask, so the seeds
// only lay out headers and payloads.

const OUR_MAC = Buffer.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
const PEER_MAC = Buffer.from([0x52, 0x54, 0x00, 0x00, 0x00, 0x02]);
const OUR_IP = [10, 0, 2, 15];
const PEER_IP = [10, 0, 2, 2];

const FIX_ALL = 1 | 2 | 4 | 8; // Ethernet, type, IPv4 header, transport checksum
const TRACK = 16;
const DHCP_XID = 32;

type Frame = { flags: number; dt: number; bytes: Buffer };

function record(f: Frame): Buffer {
  const h = Buffer.alloc(4);
  h[0] = f.flags;
  h[1] = f.dt;
  h.writeUInt16LE(f.bytes.length, 2);
  return Buffer.concat([h, f.bytes]);
}

export function input(mode: number, frames: Frame[]): Buffer {
  return Buffer.concat([Buffer.from([mode]), ...frames.map(record)]);
}

function eth(type: number, payload: Buffer, dst = OUR_MAC): Buffer {
  const h = Buffer.alloc(14);
  dst.copy(h, 0);
  PEER_MAC.copy(h, 6);
  h.writeUInt16BE(type, 12);
  return Buffer.concat([h, payload]);
}

function ipv4(proto: number, payload: Buffer, options = Buffer.alloc(0), dst = OUR_IP): Buffer {
  const ihl = 20 + options.length;
  const h = Buffer.alloc(ihl);
  h[0] = 0x40 | (ihl >> 2);
  h.writeUInt16BE(ihl + payload.length, 2);
  h[8] = 64;
  h[9] = proto;
  Buffer.from(PEER_IP).copy(h, 12);
  Buffer.from(dst).copy(h, 16);
  options.copy(h, 20);
  return eth(0x0800, Buffer.concat([h, payload]));
}

function tcp(srcPort: number, dstPort: number, flags: number, data = Buffer.alloc(0), options = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(20 + options.length);
  h.writeUInt16BE(srcPort, 0);
  h.writeUInt16BE(dstPort, 2);
  h.writeUInt32BE(1000, 4);
  h[12] = ((20 + options.length) >> 2) << 4;
  h[13] = flags;
  h.writeUInt16BE(65535, 14);
  options.copy(h, 20);
  return ipv4(6, Buffer.concat([h, data]));
}

function udp(srcPort: number, dstPort: number, data: Buffer, dst = OUR_IP): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(srcPort, 0);
  h.writeUInt16BE(dstPort, 2);
  h.writeUInt16BE(8 + data.length, 4);
  return ipv4(17, Buffer.concat([h, data]), Buffer.alloc(0), dst);
}

function arp(op: number, targetIp = OUR_IP): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0);
  b.writeUInt16BE(0x0800, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(op, 6);
  PEER_MAC.copy(b, 8);
  Buffer.from(PEER_IP).copy(b, 14);
  (op === 2 ? OUR_MAC : Buffer.alloc(6)).copy(b, 18);
  Buffer.from(targetIp).copy(b, 24);
  return eth(0x0806, b, op === 1 ? Buffer.alloc(6, 0xff) : OUR_MAC);
}

function icmpEcho(data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 8;
  h.writeUInt16BE(0x1234, 4);
  h.writeUInt16BE(1, 6);
  return ipv4(1, Buffer.concat([h, data]));
}

function dhcp(type: number, options: number[] = []): Buffer {
  const m = Buffer.alloc(240);
  m[0] = 2;
  m[1] = 1;
  m[2] = 6;
  Buffer.from(OUR_IP).copy(m, 16);
  Buffer.from(PEER_IP).copy(m, 20);
  OUR_MAC.copy(m, 28);
  m.writeUInt32BE(0x63825363, 236);
  const opts = [53, 1, type, 54, 4, ...PEER_IP, 51, 4, 0, 0, 0x0e, 0x10, 1, 4, 255, 255, 255, 0, 3, 4, ...PEER_IP,
    6, 4, 10, 0, 2, 3, ...options, 255];
  return udp(67, 68, Buffer.concat([m, Buffer.from(opts)]), [255, 255, 255, 255]);
}

const SYN = 2, ACK = 16, PSH = 8, FIN = 1, RST = 4;
const MSS_WS_SACK_TS = Buffer.from([2, 4, 5, 0xb4, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]);

/** A whole conversation: ARP so replies can leave, handshake, data, close. */
function conversation(port: number, requests: string[], closeWith = FIN): Frame[] {
  const f: Frame[] = [{ flags: 1, dt: 0, bytes: arp(2) }];
  f.push({ flags: FIX_ALL, dt: 1, bytes: tcp(40000, port, SYN, Buffer.alloc(0), port === 80 ? MSS_WS_SACK_TS : Buffer.alloc(0)) });
  f.push({ flags: FIX_ALL | TRACK, dt: 1, bytes: tcp(40000, port, ACK) });
  for (const r of requests) {
    f.push({ flags: FIX_ALL | TRACK, dt: 1, bytes: tcp(40000, port, ACK | PSH, Buffer.from(r)) });
    f.push({ flags: FIX_ALL | TRACK, dt: 2, bytes: tcp(40000, port, ACK) });
  }
  f.push({ flags: FIX_ALL | TRACK, dt: 1, bytes: tcp(40000, port, closeWith | ACK) });
  f.push({ flags: FIX_ALL | TRACK, dt: 3, bytes: tcp(40000, port, ACK) });
  return f;
}

const AUTH = "Authorization: Bearer fuzz-token\r\n";
const REQUESTS = [
  "GET /metrics HTTP/1.1\r\nHost: sis\r\n\r\n",
  "GET /api/state HTTP/1.1\r\nHost: sis\r\n\r\n",
  "GET /api/bytes?n=3000 HTTP/1.1\r\nHost: sis\r\n\r\n",
  "GET / HTTP/1.0\r\n\r\n",
  `GET /api/files?path=/tmp HTTP/1.1\r\n${AUTH}\r\n`,
  `GET /api/files?path=/tmp/file HTTP/1.1\r\n${AUTH}\r\n`,
  `PUT /api/files?path=/tmp/new HTTP/1.1\r\n${AUTH}Content-Length: 5\r\n\r\nhello`,
  `POST /api/files?path=/tmp/dir&op=mkdir HTTP/1.1\r\n${AUTH}Content-Length: 0\r\n\r\n`,
  `DELETE /api/files?path=/tmp/file HTTP/1.1\r\n${AUTH}\r\n`,
  `POST /api/shell HTTP/1.1\r\n${AUTH}Content-Type: application/json\r\nContent-Length: 22\r\n\r\n{"command": "echo hi"}`,
  "POST /api/shell HTTP/1.1\r\nContent-Length: 2\r\n\r\nls",
  "GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n",
  "BREW /pot HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
  "GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
];

export function netSeeds(): Buffer[] {
  const seeds: Buffer[] = [];
  // the API: each request alone, and two on one keep-alive connection
  for (const r of REQUESTS) seeds.push(input(0, conversation(80, [r])));
  seeds.push(input(0, conversation(80, [REQUESTS[0], REQUESTS[1]])));
  seeds.push(input(0, conversation(80, [REQUESTS[2]], RST)));
  // a request split over segments
  seeds.push(input(0, conversation(80, ["GET /api/st", "ate HTTP/1.1\r\n", "\r\n"])));
  // echo service
  seeds.push(input(0, conversation(7, ["hello", "x".repeat(1400)])));
  // the stack's own client to 10.0.2.2:5555: ARP reply, SYN-ACK to its port (TRACK fills it in), data
  seeds.push(input(0, [
    { flags: 1, dt: 0, bytes: arp(2, PEER_IP) },
    { flags: 1, dt: 1, bytes: arp(2) },
    { flags: FIX_ALL | TRACK, dt: 1, bytes: tcp(5555, 0, SYN | ACK) },
    { flags: FIX_ALL | TRACK, dt: 1, bytes: tcp(5555, 0, ACK | PSH, Buffer.from("server says hi")) },
    { flags: FIX_ALL | TRACK, dt: 1, bytes: tcp(5555, 0, FIN | ACK) },
  ]));
  // ARP request, ICMP echo, UDP to a closed port, IP options, a short frame, an unknown type
  seeds.push(input(0, [
    { flags: 0, dt: 0, bytes: arp(1) },
    { flags: FIX_ALL, dt: 1, bytes: icmpEcho(Buffer.alloc(56, 7)) },
    { flags: FIX_ALL, dt: 1, bytes: udp(1234, 9, Buffer.from("ping")) },
    { flags: FIX_ALL, dt: 1, bytes: ipv4(1, Buffer.alloc(16), Buffer.from([1, 1, 1, 0])) },
    { flags: 0, dt: 0, bytes: Buffer.alloc(10) },
    { flags: 1, dt: 0, bytes: eth(0x86dd, Buffer.alloc(40)) },
  ]));
  // DHCP: offer, ack (the client's transaction id filled in), then the API on the leased address
  seeds.push(input(1, [
    { flags: FIX_ALL | DHCP_XID, dt: 1, bytes: dhcp(2) },
    { flags: FIX_ALL | DHCP_XID, dt: 1, bytes: dhcp(5) },
    ...conversation(80, [REQUESTS[1]]),
  ]));
  seeds.push(input(1, [{ flags: FIX_ALL | DHCP_XID, dt: 30, bytes: dhcp(6) }, { flags: FIX_ALL | DHCP_XID, dt: 1, bytes: dhcp(2, [12, 3, 115, 105, 115]) }]));
  return seeds;
}
