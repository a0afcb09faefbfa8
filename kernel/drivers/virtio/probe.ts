// Discovery: scans the 32 virtio-mmio slots once at boot, from slot 31 down (QEMU puts the
// first -device there), initialises every block device and registers it as vda, vdb, ...
// in that order. A block device that fails to initialise keeps its letter (so the system
// disk is always vda) but is not registered; `lsdev` shows why.
//
// Completions of asynchronous requests are run by a poller on every pass of the event loop.
import { MmioTransport, VIRTIO_MAGIC, VIRTIO_MMIO_SLOTS } from "./mmio";
import { VirtioBlk, serviceAllVirtioBlk } from "./blk";
import { registerBlockDevice } from "../../block/device";
import { registerPoller } from "../../kernel_loop";

export class VirtioSlot {
  /** Block device name (vda...) or "" for other device types. */
  name: string = "";
  blk: VirtioBlk | null = null;
  constructor(public slot: i32, public version: u32, public deviceId: u32, public vendorId: u32) {}

  get base(): u64 {
    return new MmioTransport(this.slot).base;
  }

  get intid(): u32 {
    return new MmioTransport(this.slot).intid;
  }
}

const slots = new Array<VirtioSlot>(0);
const blockDevices = new Array<VirtioBlk>(0);
let probed = false;
/** Ring features new block devices ask for (blkctl can re-initialise one with others). */
export let defaultEventIdx: bool = true;
export let defaultIndirect: bool = true;

export function setRingDefaults(eventIdx: bool, indirect: bool): void {
  defaultEventIdx = eventIdx;
  defaultIndirect = indirect;
}

function diskName(index: i32): string {
  return index < 26 ? "vd" + String.fromCharCode(97 + index) : "vd" + String.fromCharCode(97 + index / 26 - 1) +
    String.fromCharCode(97 + index % 26);
}

/** Scans the slots and brings up block devices; runs once (later calls return the result). */
export function probeVirtioDevices(): Array<VirtioSlot> {
  if (probed) return slots;
  probed = true;
  let disks = 0;
  for (let slot = VIRTIO_MMIO_SLOTS - 1; slot >= 0; slot--) {
    const t = new MmioTransport(slot);
    if (t.magic != VIRTIO_MAGIC) continue;
    const id = t.deviceId;
    if (id == 0) continue; // an empty slot
    const info = new VirtioSlot(slot, t.version, id, t.vendorId);
    slots.push(info);
    if (id != 2) continue;
    info.name = diskName(disks++);
    const blk = new VirtioBlk(info.name, slot, defaultEventIdx, defaultIndirect);
    info.blk = blk;
    if (info.version != 2) {
      blk.state = "failed: legacy virtio-mmio (version " + info.version.toString() +
        "); start QEMU with -global virtio-mmio.force-legacy=false";
      continue;
    }
    if (blk.init() == 0) {
      registerBlockDevice(blk);
      blockDevices.push(blk);
    }
  }
  registerPoller(pollVirtioDevices);
  return slots;
}

export function virtioSlots(): Array<VirtioSlot> {
  return slots;
}

/** Block devices that initialised, in name order. */
export function virtioBlockDevices(): Array<VirtioBlk> {
  return blockDevices;
}

export function findVirtioBlk(name: string): VirtioBlk | null {
  const bare = name.startsWith("/dev/") ? name.substring(5) : name;
  for (let i = 0; i < blockDevices.length; i++) if (blockDevices[i].name == bare) return blockDevices[i];
  return null;
}

/** The event loop's poller: completions and interrupts of every virtio block device. */
export function pollVirtioDevices(): void {
  serviceAllVirtioBlk();
}
