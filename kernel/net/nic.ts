// The NIC interface: the one seam between the protocol stack and a network device. The
// virtio-net driver implements it on the target; a fake link implements it on Node (tests
// wire two stacks back to back). Frames are whole Ethernet frames without the FCS.
export class NicCounters {
  rxFrames: u64 = 0;
  rxBytes: u64 = 0;
  txFrames: u64 = 0;
  txBytes: u64 = 0;
  rxDropped: u64 = 0; // no buffer / oversized
  txDropped: u64 = 0; // ring full
  interrupts: u64 = 0;
}

export abstract class Nic {
  name: string;
  mac: u64 = 0;
  mtu: i32 = 1500;
  counters: NicCounters = new NicCounters();

  constructor(name: string) {
    this.name = name;
  }

  /** Queues one frame for transmission; false when it was dropped (no room). */
  abstract transmit(frame: Uint8Array): bool;

  /**
   * The next received frame, or null when none is waiting. The frame may be a view of a
   * buffer the next receive() reuses: a caller that keeps bytes copies them.
   */
  abstract receive(): Uint8Array | null;

  /** Is the link up? */
  abstract linkUp(): bool;

  /** Hands frames transmit() queued to the device now (a driver may batch them until then). */
  flush(): void {}

  /** Housekeeping each poll (reclaim transmit completions, refill receive buffers). */
  service(): void {}

  describe(): string {
    return this.name;
  }
}
