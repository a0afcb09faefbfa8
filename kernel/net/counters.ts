// Counters of the stack, one field per event a reader (netctl stats, /metrics) can ask about.
// Every drop has a reason counter, so hostile input shows up as counts, never as a crash.
export class NetCounters {
  // Ethernet
  framesIn: u64 = 0;
  framesOut: u64 = 0;
  framesTooShort: u64 = 0;
  framesNotForUs: u64 = 0;
  framesUnknownType: u64 = 0;
  // ARP
  arpIn: u64 = 0;
  arpBad: u64 = 0;
  arpRequestsSent: u64 = 0;
  arpRepliesSent: u64 = 0;
  arpUnresolvedDrops: u64 = 0;
  // IPv4
  ipIn: u64 = 0;
  ipOut: u64 = 0;
  ipBadHeader: u64 = 0;
  ipBadChecksum: u64 = 0;
  ipFragmentsDropped: u64 = 0;
  ipNotForUs: u64 = 0;
  ipUnknownProtocol: u64 = 0;
  ipNoRoute: u64 = 0;
  /** TCP frames held while no address was configured, handled after it, and dropped as stale. */
  ipHeldUnconfigured: u64 = 0;
  ipHeldReplayed: u64 = 0;
  ipHeldExpired: u64 = 0;
  /** Replies sent to the source MAC of the frame they answer (ARP had no entry yet). */
  ipRepliesToSourceMac: u64 = 0;
  // ICMP
  icmpIn: u64 = 0;
  icmpBad: u64 = 0;
  icmpEchoRepliesSent: u64 = 0;
  icmpEchoRepliesIn: u64 = 0;
  // UDP
  udpIn: u64 = 0;
  udpOut: u64 = 0;
  udpBad: u64 = 0;
  udpNoPort: u64 = 0;
  // TCP
  tcpIn: u64 = 0;
  tcpOut: u64 = 0;
  tcpBad: u64 = 0;
  tcpBadChecksum: u64 = 0;
  tcpRetransmits: u64 = 0;
  tcpFastRetransmits: u64 = 0;
  tcpTimeouts: u64 = 0;
  tcpResetsSent: u64 = 0;
  tcpResetsIn: u64 = 0;
  tcpActiveOpens: u64 = 0;
  tcpPassiveOpens: u64 = 0;
  tcpBacklogDrops: u64 = 0;
  tcpOutOfOrder: u64 = 0;
  tcpOutOfWindow: u64 = 0;
  /** ACKs sent in the middle of a receive batch (every second full-sized segment). */
  tcpQuickAcks: u64 = 0;
  tcpBytesIn: u64 = 0;
  tcpBytesOut: u64 = 0;
  // DHCP
  dhcpLeases: u64 = 0;
  dhcpMessagesIn: u64 = 0;
  dhcpBad: u64 = 0;
}
