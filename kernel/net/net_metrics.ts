// What /metrics says about the network: NIC and protocol counters (drops by reason), TCP
// connections by state, and the HTTP server (requests, status classes, handling-time histogram).
import { MetricsWriter, label } from "./metrics";
import { NetStack } from "./stack";
import { Nic } from "./nic";
import { HttpServer, HANDLE_BOUNDS_US } from "./http";
import { TcpState, stateName } from "./tcp";

export function writeNetMetrics(w: MetricsWriter, stack: NetStack, nic: Nic, http: HttpServer | null, uptimeUs: u64): void {
  const c = stack.counters;
  const n = nic.counters;
  w.counter("sis_net_rx_frames_total", "Frames received by the NIC", <f64>n.rxFrames);
  w.counter("sis_net_tx_frames_total", "Frames sent by the NIC", <f64>n.txFrames);
  w.counter("sis_net_rx_bytes_total", "Bytes received by the NIC", <f64>n.rxBytes);
  w.counter("sis_net_tx_bytes_total", "Bytes sent by the NIC", <f64>n.txBytes);
  w.counter("sis_net_tx_dropped_total", "Frames dropped for a full transmit ring", <f64>n.txDropped);
  w.family("sis_net_drops_total", "counter", "Received packets dropped, by reason");
  w.sample("sis_net_drops_total", label("reason", "short_frame"), <f64>c.framesTooShort);
  w.sample("sis_net_drops_total", label("reason", "ip_header"), <f64>c.ipBadHeader);
  w.sample("sis_net_drops_total", label("reason", "ip_checksum"), <f64>c.ipBadChecksum);
  w.sample("sis_net_drops_total", label("reason", "ip_fragment"), <f64>c.ipFragmentsDropped);
  w.sample("sis_net_drops_total", label("reason", "tcp_checksum"), <f64>c.tcpBadChecksum);
  w.sample("sis_net_drops_total", label("reason", "tcp_header"), <f64>c.tcpBad);
  w.sample("sis_net_drops_total", label("reason", "udp"), <f64>c.udpBad);
  w.sample("sis_net_drops_total", label("reason", "arp"), <f64>c.arpBad);
  w.counter("sis_net_tcp_segments_in_total", "TCP segments received", <f64>c.tcpIn);
  w.counter("sis_net_tcp_segments_out_total", "TCP segments sent", <f64>c.tcpOut);
  w.counter("sis_net_tcp_retransmits_total", "TCP retransmissions (timeouts and fast retransmits)", <f64>c.tcpRetransmits);
  w.counter("sis_net_tcp_resets_sent_total", "TCP resets sent", <f64>c.tcpResetsSent);
  w.counter("sis_net_tcp_held_before_address_total", "TCP segments held until DHCP gave us an address", <f64>c.ipHeldUnconfigured);
  w.counter("sis_net_tcp_passive_opens_total", "TCP connections accepted", <f64>c.tcpPassiveOpens);
  w.counter("sis_net_tcp_backlog_drops_total", "SYNs dropped for a full listen backlog", <f64>c.tcpBacklogDrops);
  const states = new StaticArray<i32>(11);
  const list = stack.tcp.connections();
  for (let i = 0; i < list.length; i++) states[<i32>list[i].state]++;
  w.family("sis_net_tcp_connections", "gauge", "TCP connections by state");
  for (let s = 2; s < 11; s++) w.sample("sis_net_tcp_connections", label("state", stateName(<TcpState>s)), <f64>states[s]);
  if (http != null) {
    const h = http!.counters;
    w.counter("sis_http_requests_total", "HTTP requests handled", <f64>h.requests);
    w.family("sis_http_responses_total", "counter", "HTTP responses by status class");
    w.sample("sis_http_responses_total", label("code", "2xx"), <f64>h.status2xx);
    w.sample("sis_http_responses_total", label("code", "4xx"), <f64>h.status4xx);
    w.sample("sis_http_responses_total", label("code", "5xx"), <f64>h.status5xx);
    w.counter("sis_http_connections_total", "HTTP connections accepted", <f64>h.connections);
    w.gauge("sis_http_open_connections", "HTTP connections open", <f64>http!.conns.length);
    w.family("sis_http_handle_microseconds", "histogram", "Time from a parsed request to its queued response");
    w.histogramSamples("sis_http_handle_microseconds", "", HANDLE_BOUNDS_US, http!.handleBuckets, http!.handleSumUs);
  }
  w.gauge("sis_uptime_seconds", "Seconds since boot", <f64>uptimeUs / 1e6);
}
