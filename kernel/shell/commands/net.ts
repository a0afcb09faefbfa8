// Network commands: netctl (status, stats, arp, conns), ping, httpget.
// Commands that wait for the network (ping, httpget) run the nested event loop (sched/wait.ts
// pollOnce) until they finish, so the stack, services and periodic work keep going; Ctrl-C stops them.
import { registerCommand } from "../registry";
import { Options } from "../args";
import { println, printError, print } from "../../platform/console";
import { nowUs } from "../../platform/time";
import { wakeNoLaterThan } from "../../kernel_loop";
import { pollOnce } from "../../sched/wait";
import { nowTicks, usToTicks } from "../../platform/time";
import { table, fixed } from "../../lib/format";
import { netStack, netDevice, dhcpClient, netAbsentReason, netPolls } from "../../net/init";
import { apiServer } from "../../net/api";
import { jsonString } from "../../lib/json_string";
import { ipToString, macToString, parseIp } from "../../net/bytes";
import { stateName } from "../../net/tcp";
import { NetStack } from "../../net/stack";
import { parseUrl, HttpGet } from "../../net/http_client";
import * as vfs from "../../fs/vfs";

/**
 * One pass of the nested event loop (sched/wait.ts) for a waiting command, woken within 1 ms
 * (ping and httpget time replies to the millisecond); false when Ctrl-C was typed.
 */
function loopOnce(): bool {
  wakeNoLaterThan(nowTicks() + usToTicks(1000));
  return !pollOnce();
}

function requireStack(): NetStack | null {
  const s = netStack;
  if (s == null) printError("no network: " + netAbsentReason);
  return s;
}

function status(json: bool): i32 {
  const s = requireStack();
  if (s == null) return 1;
  const d = netDevice!;
  const dhcp = dhcpClient != null ? dhcpClient!.describe() : "off";
  if (json) {
    println("{\"interface\":\"eth0\",\"mac\":" + jsonString(macToString(d.mac)) + ",\"link_up\":" + (d.linkUp() ? "true" : "false") +
      ",\"address\":" + jsonString(ipToString(s.address)) + ",\"netmask\":" + jsonString(ipToString(s.netmask)) +
      ",\"gateway\":" + jsonString(ipToString(s.gateway)) + ",\"dns\":" + jsonString(ipToString(s.dns)) + ",\"dhcp\":" +
      jsonString(dhcp) + ",\"http_port\":" + (apiServer != null ? "80" : "0") + ",\"polls\":" + netPolls.toString() +
      ",\"stack_now_us\":" + s.nowUs.toString() + ",\"now_us\":" + nowUs().toString() + ",\"driver\":" + jsonString(d.ringState()) + "}");
    return 0;
  }
  println("eth0: " + d.describe() + ", MAC " + macToString(d.mac));
  println("  address " + ipToString(s.address) + " netmask " + ipToString(s.netmask) + " gateway " + ipToString(s.gateway) +
    " dns " + ipToString(s.dns));
  println("  dhcp: " + dhcp + (dhcpClient != null && dhcpClient!.firstLeaseUs > 0 ?
    " (first lease " + fixed(<f64>dhcpClient!.firstLeaseUs / 1000, 1) + " ms after start)" : ""));
  println("  http api: " + (apiServer != null ? "port 80, " + apiServer!.conns.length.toString() + " connections open" : "off"));
  return 0;
}

function stats(json: bool): i32 {
  const s = requireStack();
  if (s == null) return 1;
  const n = netDevice!.counters;
  const c = s.counters;
  const names: string[] = ["rx_frames", "tx_frames", "rx_bytes", "tx_bytes", "tx_dropped", "interrupts", "arp_in", "arp_requests_sent",
    "ip_in", "ip_out", "ip_bad_header", "ip_bad_checksum", "ip_fragments_dropped", "ip_held_unconfigured", "ip_held_replayed",
    "ip_replies_to_source_mac", "icmp_in", "icmp_echo_replies_sent", "udp_in",
    "udp_out", "tcp_in", "tcp_out", "tcp_bad_checksum", "tcp_retransmits", "tcp_fast_retransmits", "tcp_timeouts",
    "tcp_resets_sent", "tcp_resets_in", "tcp_active_opens", "tcp_passive_opens", "tcp_backlog_drops", "tcp_out_of_order",
    "tcp_bytes_in", "tcp_bytes_out", "dhcp_leases"];
  const values: u64[] = [n.rxFrames, n.txFrames, n.rxBytes, n.txBytes, n.txDropped, n.interrupts, c.arpIn, c.arpRequestsSent,
    c.ipIn, c.ipOut, c.ipBadHeader, c.ipBadChecksum, c.ipFragmentsDropped, c.ipHeldUnconfigured, c.ipHeldReplayed,
    c.ipRepliesToSourceMac, c.icmpIn, c.icmpEchoRepliesSent, c.udpIn, c.udpOut,
    c.tcpIn, c.tcpOut, c.tcpBadChecksum, c.tcpRetransmits, c.tcpFastRetransmits, c.tcpTimeouts, c.tcpResetsSent, c.tcpResetsIn,
    c.tcpActiveOpens, c.tcpPassiveOpens, c.tcpBacklogDrops, c.tcpOutOfOrder, c.tcpBytesIn, c.tcpBytesOut, c.dhcpLeases];
  if (json) {
    let out = "{";
    for (let i = 0; i < names.length; i++) out += (i > 0 ? "," : "") + "\"" + names[i] + "\":" + values[i].toString();
    println(out + "}");
    return 0;
  }
  const rows = new Array<Array<string>>(0);
  rows.push(["counter", "value"]);
  for (let i = 0; i < names.length; i++) rows.push([names[i], values[i].toString()]);
  print(table(rows));
  return 0;
}

function arp(json: bool): i32 {
  const s = requireStack();
  if (s == null) return 1;
  const entries = s.arp.validEntries();
  const now = s.nowUs;
  if (json) {
    let out = "[";
    for (let i = 0; i < entries.length; i++) {
      out += (i > 0 ? "," : "") + "{\"ip\":" + jsonString(ipToString(entries[i].ip)) + ",\"mac\":" +
        jsonString(macToString(entries[i].mac)) + ",\"expires_in_ms\":" + ((entries[i].expiresUs - now) / 1000).toString() + "}";
    }
    println(out + "]");
    return 0;
  }
  const rows = new Array<Array<string>>(0);
  rows.push(["address", "MAC", "expires in"]);
  for (let i = 0; i < entries.length; i++) {
    rows.push([ipToString(entries[i].ip), macToString(entries[i].mac), fixed(<f64>(entries[i].expiresUs - now) / 1e6, 1) + " s"]);
  }
  print(table(rows));
  if (entries.length == 0) println("(no entries)");
  return 0;
}

function conns(json: bool): i32 {
  const s = requireStack();
  if (s == null) return 1;
  const list = s.tcp.connections();
  if (json) {
    let out = "[";
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      out += (i > 0 ? "," : "") + "{\"local_port\":" + c.localPort.toString() + ",\"remote\":" +
        jsonString(ipToString(c.remoteIp) + ":" + c.remotePort.toString()) + ",\"state\":" + jsonString(stateName(c.state)) +
        ",\"srtt_us\":" + c.srttUs.toString() + ",\"rto_us\":" + c.rtoUs.toString() + ",\"bytes_in\":" + c.bytesIn.toString() +
        ",\"bytes_out\":" + c.bytesOut.toString() + ",\"retransmits\":" + c.retransmits.toString() +
        ",\"una\":" + (c.sndUna - c.iss).toString() + ",\"nxt\":" + (c.sndNxt - c.iss).toString() + ",\"max\":" + (c.sndMax - c.iss).toString() +
        ",\"snd_wnd\":" + c.sndWnd.toString() + ",\"cwnd\":" + c.cwnd.toString() + ",\"unacked_bytes\":" + c.sendBuf.length.toString() +
        ",\"timer_ms\":" + (c.rtxDeadlineUs == 0 ? "-1" : ((<i64>c.rtxDeadlineUs - <i64>s.nowUs) / 1000).toString()) +
        ",\"fin\":\"" + (c.finQueued ? "q" : "") + (c.finAcked ? "a" : "") + (c.finReceived ? "r" : "") + "\",\"retries\":" + c.retries.toString() + "}";
    }
    println(out + "]");
    return 0;
  }
  const rows = new Array<Array<string>>(0);
  rows.push(["local", "remote", "state", "srtt", "rto", "in", "out", "rtx"]);
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    rows.push([":" + c.localPort.toString(), ipToString(c.remoteIp) + ":" + c.remotePort.toString(), stateName(c.state),
      fixed(<f64>c.srttUs / 1000, 2) + " ms", fixed(<f64>c.rtoUs / 1000, 0) + " ms", c.bytesIn.toString(), c.bytesOut.toString(),
      c.retransmits.toString()]);
  }
  const l = s.tcp.listeners.values();
  for (let i = 0; i < l.length; i++) {
    rows.push([":" + l[i].port.toString(), "*", "LISTEN", "", "", "backlog " + l[i].backlog.toString(), "accepted " +
      l[i].accepted.toString(), "dropped " + l[i].dropped.toString()]);
  }
  print(table(rows));
  return 0;
}

registerCommand("netctl", "network interface status and statistics",
  "netctl status|stats|arp|conns [--json]\n  status  address, gateway, DHCP lease, link\n  stats   device and protocol counters (drops by reason)\n" +
  "  arp     the ARP cache with expiry\n  conns   TCP connections and listeners (RTT, RTO, bytes, retransmits)\n  --json  one JSON document",
  (args: Array<string>): i32 => {
    const o = new Options(args, [], ["--json"]);
    if (!o.ok) {
      printError(o.error);
      return 1;
    }
    const sub = o.positionals.length > 0 ? o.positionals[0] : "status";
    if (o.positionals.length > 1) {
      printError("netctl takes one subcommand (status, stats, arp, conns)");
      return 1;
    }
    const json = o.has("--json");
    if (sub == "status") return status(json);
    if (sub == "stats") return stats(json);
    if (sub == "arp") return arp(json);
    if (sub == "conns") return conns(json);
    printError("unknown subcommand '" + sub + "' (status, stats, arp, conns)");
    return 1;
  });

registerCommand("ping", "send ICMP echo requests", "ping HOST [-c N] [--json]\n  HOST   an IPv4 address\n  -c N   requests to send (default 4, 1..1000), one a second\n" +
  "  Note: QEMU's user network does not answer ICMP; ping a peer that does.",
  (args: Array<string>): i32 => {
    const o = new Options(args, ["-c"], ["--json"]);
    if (!o.ok) {
      printError(o.error);
      return 1;
    }
    if (o.positionals.length != 1) {
      printError("usage: ping HOST [-c N]");
      return 1;
    }
    const ip = parseIp(o.positionals[0]);
    if (ip < 0) {
      printError("'" + o.positionals[0] + "' is not an IPv4 address");
      return 1;
    }
    const count = o.integer("-c", 4, 1, 1000);
    if (count < 0) return 1;
    const s = requireStack();
    if (s == null) return 1;
    const json = o.has("--json");
    let received = 0;
    const rtts = new Array<f64>(0);
    let interrupted = false;
    for (let i = 0; i < <i32>count && !interrupted; i++) {
      s.nowUs = nowUs();
      s.icmp.sendEcho(<u32>ip, <u32>i, 56);
      const deadline = nowUs() + 1_000_000;
      let got = false;
      while (nowUs() < deadline) {
        if (!loopOnce()) {
          interrupted = true;
          break;
        }
        let r = s.icmp.takeReply();
        while (r != null) {
          if (r.from == <u32>ip && r.sequence == <u32>i && !got) {
            got = true;
            received++;
            rtts.push(<f64>r.rttUs / 1000);
            if (!json) println(r.bytes.toString() + " bytes from " + ipToString(r.from) + ": icmp_seq=" + i.toString() + " ttl=" +
              r.ttl.toString() + " time=" + fixed(<f64>r.rttUs / 1000, 3) + " ms");
          }
          r = s.icmp.takeReply();
        }
        if (got && i + 1 == <i32>count) break;
      }
      if (!got && !interrupted && !json) println("no reply for icmp_seq=" + i.toString());
    }
    let min_ = 0.0, max_ = 0.0, sum = 0.0;
    for (let i = 0; i < rtts.length; i++) {
      if (i == 0 || rtts[i] < min_) min_ = rtts[i];
      if (rtts[i] > max_) max_ = rtts[i];
      sum += rtts[i];
    }
    const avg = rtts.length > 0 ? sum / <f64>rtts.length : 0;
    if (json) {
      println("{\"host\":" + jsonString(ipToString(<u32>ip)) + ",\"sent\":" + count.toString() + ",\"received\":" + received.toString() +
        ",\"rtt_min_ms\":" + fixed(min_, 3) + ",\"rtt_avg_ms\":" + fixed(avg, 3) + ",\"rtt_max_ms\":" + fixed(max_, 3) + "}");
    } else {
      println("--- " + ipToString(<u32>ip) + ": " + count.toString() + " sent, " + received.toString() + " received" +
        (rtts.length > 0 ? ", rtt min/avg/max " + fixed(min_, 3) + "/" + fixed(avg, 3) + "/" + fixed(max_, 3) + " ms" : "") +
        (interrupted ? " (interrupted)" : ""));
    }
    return received > 0 ? 0 : 1;
  });

registerCommand("httpget", "fetch a URL over HTTP (print it or save it to a file)",
  "httpget URL [FILE]\n  URL   http://a.b.c.d[:port]/path (10.0.2.2 is the host under QEMU's user network)\n  FILE  save the body there instead of printing it\n" +
  "  Prints the status and size; gives up after 30 s of silence. Ctrl-C stops it.",
  (args: Array<string>): i32 => {
    if (args.length < 1 || args.length > 2) {
      printError("usage: httpget URL [FILE]");
      return 1;
    }
    const u = parseUrl(args[0]);
    if (!u.ok) {
      printError(u.error);
      return 1;
    }
    const s = requireStack();
    if (s == null) return 1;
    if (!s.configured) {
      printError("eth0 has no address yet (netctl status shows DHCP)");
      return 1;
    }
    // the last download's buffer (up to 16 MiB of the 48 MiB heap) is garbage now: collect it
    // before this one allocates its own (the incremental GC lagged behind back-to-back downloads)
    __collect();
    s.nowUs = nowUs();
    const started = nowUs();
    const g = new HttpGet(s, u);
    let lastLength = 0;
    let lastProgressUs = started;
    while (!g.done) {
      if (!loopOnce()) {
        if (g.socket != null) g.socket!.abort();
        printError("interrupted after " + g.length.toString() + " bytes");
        return 1;
      }
      g.step();
      if (g.length != lastLength) {
        lastLength = g.length;
        lastProgressUs = nowUs();
      } else if (nowUs() - lastProgressUs > 30_000_000) {
        if (g.socket != null) g.socket!.abort();
        printError("no progress for 30 s (" + g.length.toString() + " bytes received)");
        return 1;
      }
    }
    if (g.error.length > 0) {
      printError(g.error);
      return 1;
    }
    const us = nowUs() - started;
    const body = g.bodyLength;
    if (args.length == 2) {
      const fd = vfs.open(args[1], vfs.O_WRONLY | vfs.O_CREAT | vfs.O_TRUNC);
      if (fd < 0) {
        printError("cannot open " + args[1] + " (" + fd.toString() + ")");
        return 1;
      }
      const n = vfs.write(fd, g.response.dataStart + <usize>g.bodyStart, <u32>body);
      vfs.fsync(fd);
      vfs.close(fd);
      if (n < <i64>body) {
        printError("short write to " + args[1] + " (" + n.toString() + ")");
        return 1;
      }
    } else {
      let text = "";
      for (let i = 0; i < body; i++) text += String.fromCharCode(<i32>g.response[g.bodyStart + i]);
      print(text);
      if (body > 0 && g.response[g.bodyStart + body - 1] != 10) println("");
    }
    println("HTTP " + g.status.toString() + ", " + body.toString() + " bytes in " + fixed(<f64>us / 1000, 1) + " ms (" +
      fixed(us > 0 ? <f64>body * 8 / <f64>us : 0, 2) + " Mbit/s)" + (args.length == 2 ? ", saved to " + args[1] : ""));
    return g.status >= 200 && g.status < 300 ? 0 : 1;
  });
