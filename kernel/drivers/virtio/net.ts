// virtio-net (virtio 1.x, section 5.1) on the mmio transport: the Nic the network stack
// talks to. Queue 0 receives, queue 1 transmits; no control queue, no offloads.
//
// Every buffer is one descriptor of BUFFER_BYTES in DMA memory:
//   +------------------------------+---------------------------+
//   | virtio_net_hdr_mrg_rxbuf (12)| Ethernet frame (<= 1514)  |
//   +------------------------------+---------------------------+
// The receive ring is kept full: each buffer the device returns is copied out and posted
// again at once. Transmit copies the frame into a free buffer; completed buffers are
// reclaimed on the next transmit or service(); they are published and notified in batches
// (TX_KICK_BATCH, and flush() at the end of each network pass). With MRG_RXBUF a packet may span
// num_buffers receive buffers (only with GSO, which we do not negotiate, but it is handled).
//
// Interrupts only wake the event loop: service() ACKs them and re-enables the line, and the
// stack polls receive() from the loop (DESIGN.md section 6).
import { irq_enable } from "../../platform/imports";
import { MmioTransport, Status, Interrupt } from "./mmio";
import { Virtqueue } from "./virtqueue";
import { allocDma, freeDma, deviceAddress } from "./dma_alloc";
import { takeSlotInterrupt } from "./irq";
import * as F from "./features";
import { Nic } from "../../net/nic";

export const VIRTIO_NET_F_MAC: u32 = 5;
export const VIRTIO_NET_F_MRG_RXBUF: u32 = 15;
export const VIRTIO_NET_F_STATUS: u32 = 16;
const NET_HEADER: i32 = 12;
const BUFFER_BYTES: i32 = 2048;
const MAX_QUEUE: i32 = 256;
const CFG_MAC: u64 = 0;
const CFG_STATUS: u64 = 6;
const LINK_UP: u32 = 1;
/**
 * Transmit chains published and notified together: the notify is an MMIO write (a trap into
 * QEMU), so a burst of segments costs one per TX_KICK_BATCH frames plus one at flush().
 */
export const TX_KICK_BATCH: i32 = 16;

export class VirtioNet extends Nic {
  readonly transport: MmioTransport;
  rx: Virtqueue | null = null;
  tx: Virtqueue | null = null;
  offered: u64 = 0;
  negotiated: u64 = 0;
  ready: bool = false;
  state: string = "not initialised";
  linkChanges: u64 = 0;
  txReclaimed: u64 = 0;
  mergedPackets: u64 = 0;
  notifies: u64 = 0;
  private txUnkicked: i32 = 0;
  /** A received single-buffer frame is copied here and handed out as a view: valid until the next receive(). */
  private rxScratch: Uint8Array = new Uint8Array(BUFFER_BYTES);
  private rxBuffers: StaticArray<usize> = new StaticArray<usize>(0);
  private txBuffers: StaticArray<usize> = new StaticArray<usize>(0);
  private txFree: Array<usize> = new Array<usize>(0);
  private txBufferOf: StaticArray<usize> = new StaticArray<usize>(0);

  constructor(name: string, slot: i32) {
    super(name);
    this.transport = new MmioTransport(slot);
  }

  get slot(): i32 {
    return this.transport.slot;
  }

  describe(): string {
    return "virtio-net slot " + this.slot.toString() + ", irq " + this.transport.intid.toString() +
      (this.ready ? ", link " + (this.linkUp() ? "up" : "down") : ", " + this.state);
  }

  init(): i32 {
    const t = this.transport;
    t.reset();
    t.status = Status.Acknowledge;
    t.addStatus(Status.Driver);
    this.offered = t.deviceFeatures();
    if (!F.hasFeature(this.offered, F.VIRTIO_F_VERSION_1)) return this.fail("device does not offer VERSION_1");
    const wanted = F.bit(F.VIRTIO_F_VERSION_1) | F.bit(VIRTIO_NET_F_MAC) | F.bit(VIRTIO_NET_F_STATUS) |
      F.bit(VIRTIO_NET_F_MRG_RXBUF) | F.bit(F.VIRTIO_RING_F_EVENT_IDX);
    this.negotiated = this.offered & wanted;
    t.setDriverFeatures(this.negotiated);
    t.addStatus(Status.FeaturesOk);
    if ((t.status & Status.FeaturesOk) == 0) return this.fail("device refused the feature set");
    if (F.hasFeature(this.negotiated, VIRTIO_NET_F_MAC)) {
      let mac: u64 = 0;
      for (let i = 0; i < 6; i++) mac = (mac << 8) | <u64>t.config8(CFG_MAC + <u64>i);
      this.mac = mac;
    } else this.mac = 0x525400123456; // a locally administered address of our own
    const eventIdx = F.hasFeature(this.negotiated, F.VIRTIO_RING_F_EVENT_IDX);
    const rx = this.makeQueue(0, eventIdx);
    const tx = this.makeQueue(1, eventIdx);
    if (rx == null || tx == null) return this.fail("could not set up the queues");
    this.rx = rx;
    this.tx = tx;
    // receive buffers: all of them posted
    this.rxBuffers = new StaticArray<usize>(rx.size);
    for (let i = 0; i < rx.size; i++) {
      const b = allocDma(<usize>BUFFER_BYTES, 16);
      if (b == 0) return this.fail("out of memory for receive buffers");
      this.postReceive(b);
    }
    rx.publish();
    this.txBuffers = new StaticArray<usize>(tx.size);
    this.txBufferOf = new StaticArray<usize>(tx.size);
    for (let i = 0; i < tx.size; i++) {
      const b = allocDma(<usize>BUFFER_BYTES, 16);
      if (b == 0) return this.fail("out of memory for transmit buffers");
      this.txBuffers[i] = b;
      this.txFree.push(b);
    }
    tx.disableInterrupts(); // completions are reclaimed when we look, no interrupt needed
    rx.enableInterrupts(1);
    irq_enable(t.intid);
    t.addStatus(Status.DriverOk);
    if ((t.status & Status.DeviceNeedsReset) != 0) return this.fail("device needs reset after DRIVER_OK");
    if (rx.kickNeeded()) t.notify(0);
    this.ready = true;
    this.state = "ready";
    return 0;
  }

  private makeQueue(index: u32, eventIdx: bool): Virtqueue | null {
    const t = this.transport;
    const maxSize = <i32>t.selectQueue(index);
    if (maxSize == 0 || t.queueReady()) return null;
    let size = 1;
    while (size * 2 <= maxSize && size * 2 <= MAX_QUEUE) size *= 2;
    const q = Virtqueue.create(size, eventIdx, false);
    if (q == null) return null;
    t.activateQueue(<u32>size, q.descAddress, q.availAddress, q.usedAddress);
    return q;
  }

  private fail(why: string): i32 {
    this.transport.addStatus(Status.Failed);
    this.state = "failed: " + why;
    this.ready = false;
    return -1;
  }

  private postReceive(buffer: usize): void {
    const rx = this.rx!;
    rx.beginChain();
    rx.addSegment(deviceAddress(buffer), <u32>BUFFER_BYTES, true);
    const head = rx.addChain();
    if (head >= 0) unchecked(this.rxBuffers[head] = buffer);
    else freeDma(buffer);
  }

  /** Ring indices for debugging: "rx used/avail tx used/avail free". */
  ringState(): string {
    const rx = this.rx;
    const tx = this.tx;
    if (rx == null || tx == null) return "";
    return "rx " + rx.usedIndex.toString() + "/" + rx.availIndex.toString() + " free " + rx.numFree.toString() + ", tx " +
      tx.usedIndex.toString() + "/" + tx.availIndex.toString() + " free " + tx.numFree.toString() + " bufs " + this.txFree.length.toString();
  }

  linkUp(): bool {
    if (!this.ready) return false;
    if (!F.hasFeature(this.negotiated, VIRTIO_NET_F_STATUS)) return true;
    return (this.transport.config8(CFG_STATUS) & LINK_UP) != 0;
  }

  /** ACKs the interrupt, reclaims transmit buffers, re-enables the line. */
  service(): void {
    if (!this.ready) return;
    if (takeSlotInterrupt(this.slot)) {
      this.counters.interrupts++;
      const st = this.transport.interruptStatus();
      if (st != 0) this.transport.acknowledgeInterrupt(st);
      if ((st & Interrupt.ConfigChange) != 0) this.linkChanges++;
      irq_enable(this.transport.intid);
    }
    this.reclaimTransmits();
  }

  private reclaimTransmits(): void {
    const tx = this.tx!;
    while (true) {
      const head = tx.popUsed();
      if (head < 0) break;
      const b = unchecked(this.txBufferOf[head]);
      if (b != 0) {
        this.txFree.push(b);
        unchecked(this.txBufferOf[head] = 0);
        this.txReclaimed++;
      }
    }
    tx.disableInterrupts();
  }

  transmit(frame: Uint8Array): bool {
    if (!this.ready) return false;
    const len = frame.length;
    if (len > BUFFER_BYTES - NET_HEADER) {
      this.counters.txDropped++;
      return false;
    }
    if (this.txFree.length == 0) this.reclaimTransmits();
    if (this.txFree.length == 0) {
      this.counters.txDropped++;
      return false;
    }
    const tx = this.tx!;
    const b = this.txFree.pop();
    memory.fill(b, 0, <usize>NET_HEADER);
    memory.copy(b + <usize>NET_HEADER, frame.dataStart, <usize>len);
    tx.beginChain();
    tx.addSegment(deviceAddress(b), <u32>(NET_HEADER + len), false);
    const head = tx.addChain();
    if (head < 0) {
      this.txFree.push(b);
      this.counters.txDropped++;
      return false;
    }
    unchecked(this.txBufferOf[head] = b);
    if (++this.txUnkicked >= TX_KICK_BATCH) this.flush();
    this.counters.txFrames++;
    this.counters.txBytes += <u64>len;
    return true;
  }

  /** Publishes the transmit chains added since the last flush and notifies the device if it wants. */
  flush(): void {
    if (!this.ready || this.txUnkicked == 0) return;
    this.txUnkicked = 0;
    if (this.tx!.kickNeeded()) {
      this.transport.notify(1);
      this.notifies++;
    }
  }

  receive(): Uint8Array | null {
    if (!this.ready) return null;
    const rx = this.rx!;
    const head = rx.popUsed();
    if (head < 0) {
      // nothing: ask for an interrupt at the next packet (and look again if one slipped in)
      if (rx.enableInterrupts(1)) return this.receive();
      return null;
    }
    const buffer = unchecked(this.rxBuffers[head]);
    const written = <i32>rx.lastUsedLength;
    const buffers = <i32>load<u16>(buffer, 10);
    let frame: Uint8Array;
    if (written < NET_HEADER || written > BUFFER_BYTES) {
      this.counters.rxDropped++;
      frame = new Uint8Array(0);
    } else if (buffers > 1 && F.hasFeature(this.negotiated, VIRTIO_NET_F_MRG_RXBUF)) {
      frame = new Uint8Array(written - NET_HEADER); // joined with the next buffers below
      memory.copy(frame.dataStart, buffer + <usize>NET_HEADER, <usize>(written - NET_HEADER));
    } else {
      // no allocation per frame: the stack is done with a frame before it asks for the next
      memory.copy(this.rxScratch.dataStart, buffer + <usize>NET_HEADER, <usize>(written - NET_HEADER));
      frame = this.rxScratch.subarray(0, written - NET_HEADER);
    }
    this.postReceive(buffer);
    if (F.hasFeature(this.negotiated, VIRTIO_NET_F_MRG_RXBUF) && buffers > 1) {
      // the rest of the packet is in the next buffers the device used
      this.mergedPackets++;
      for (let i = 1; i < buffers; i++) {
        const h = rx.popUsed();
        if (h < 0) break;
        const b = unchecked(this.rxBuffers[h]);
        const n = min(<i32>rx.lastUsedLength, BUFFER_BYTES);
        const joined = new Uint8Array(frame.length + n);
        joined.set(frame, 0);
        memory.copy(joined.dataStart + <usize>frame.length, b, <usize>n);
        frame = joined;
        this.postReceive(b);
      }
    }
    if (rx.kickNeeded()) {
      this.transport.notify(0);
      this.notifies++;
    }
    this.counters.rxFrames++;
    this.counters.rxBytes += <u64>frame.length;
    return frame;
  }
}
