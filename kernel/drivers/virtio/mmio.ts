// The virtio-mmio transport, version 2 (virtio 1.x, section 4.2): one 0x200-byte register
// window per slot. QEMU virt has 32 slots at 0x0a000000 + 0x200 * i, interrupt INTID 48 + i
// (SPI 16 + i); it fills them from the top, so the first -device is in slot 31.
//
//   0x000 MagicValue "virt"      0x030 QueueSel          0x070 Status
//   0x004 Version (2)            0x034 QueueNumMax       0x080/084 QueueDesc lo/hi
//   0x008 DeviceID (2 = block)   0x038 QueueNum          0x090/094 QueueDriver (avail) lo/hi
//   0x00c VendorID               0x044 QueueReady        0x0a0/0a4 QueueDevice (used) lo/hi
//   0x010 DeviceFeatures         0x050 QueueNotify       0x0fc ConfigGeneration
//   0x014 DeviceFeaturesSel      0x060 InterruptStatus   0x100 device configuration space
//   0x020 DriverFeatures         0x064 InterruptACK
//   0x024 DriverFeaturesSel
//
// Everything here is register access; the init sequence (reset, ACKNOWLEDGE, DRIVER,
// features, FEATURES_OK check, queues, DRIVER_OK) is driven by the device driver with these.
import { mmio_read8, mmio_read32, mmio_write32 } from "../../platform/imports";

export const VIRTIO_MMIO_BASE: u64 = 0x0a000000;
export const VIRTIO_MMIO_STRIDE: u64 = 0x200;
export const VIRTIO_MMIO_SLOTS: i32 = 32;
export const VIRTIO_MMIO_FIRST_INTID: u32 = 48;
export const VIRTIO_MAGIC: u32 = 0x74726976; // "virt", little-endian

export namespace Reg {
  export const MagicValue: u64 = 0x000;
  export const Version: u64 = 0x004;
  export const DeviceId: u64 = 0x008;
  export const VendorId: u64 = 0x00c;
  export const DeviceFeatures: u64 = 0x010;
  export const DeviceFeaturesSel: u64 = 0x014;
  export const DriverFeatures: u64 = 0x020;
  export const DriverFeaturesSel: u64 = 0x024;
  export const QueueSel: u64 = 0x030;
  export const QueueNumMax: u64 = 0x034;
  export const QueueNum: u64 = 0x038;
  export const QueueReady: u64 = 0x044;
  export const QueueNotify: u64 = 0x050;
  export const InterruptStatus: u64 = 0x060;
  export const InterruptAck: u64 = 0x064;
  export const Status: u64 = 0x070;
  export const QueueDescLow: u64 = 0x080;
  export const QueueDescHigh: u64 = 0x084;
  export const QueueDriverLow: u64 = 0x090;
  export const QueueDriverHigh: u64 = 0x094;
  export const QueueDeviceLow: u64 = 0x0a0;
  export const QueueDeviceHigh: u64 = 0x0a4;
  export const ConfigGeneration: u64 = 0x0fc;
  export const Config: u64 = 0x100;
}

/** Device status bits (virtio 1.x, 2.1). */
export namespace Status {
  export const Acknowledge: u32 = 1;
  export const Driver: u32 = 2;
  export const DriverOk: u32 = 4;
  export const FeaturesOk: u32 = 8;
  export const DeviceNeedsReset: u32 = 64;
  export const Failed: u32 = 128;
}

/** InterruptStatus bits. */
export namespace Interrupt {
  export const UsedBuffer: u32 = 1;
  export const ConfigChange: u32 = 2;
}

export function slotBase(slot: i32): u64 {
  return VIRTIO_MMIO_BASE + VIRTIO_MMIO_STRIDE * <u64>slot;
}

export function slotIntid(slot: i32): u32 {
  return VIRTIO_MMIO_FIRST_INTID + <u32>slot;
}

export class MmioTransport {
  readonly base: u64;
  readonly intid: u32;

  constructor(public slot: i32) {
    this.base = slotBase(slot);
    this.intid = slotIntid(slot);
  }

  read(reg: u64): u32 {
    return mmio_read32(this.base + reg);
  }

  write(reg: u64, value: u32): void {
    mmio_write32(this.base + reg, value);
  }

  get magic(): u32 { return this.read(Reg.MagicValue); }
  get version(): u32 { return this.read(Reg.Version); }
  get deviceId(): u32 { return this.read(Reg.DeviceId); }
  get vendorId(): u32 { return this.read(Reg.VendorId); }

  get status(): u32 { return this.read(Reg.Status); }
  set status(value: u32) { this.write(Reg.Status, value); }

  /** Writing 0 resets the device; it is done when Status reads back 0. */
  reset(): void {
    this.write(Reg.Status, 0);
    for (let i = 0; i < 1000 && this.read(Reg.Status) != 0; i++) {}
  }

  addStatus(bits: u32): void {
    this.write(Reg.Status, this.read(Reg.Status) | bits);
  }

  /** All 64 feature bits the device offers. */
  deviceFeatures(): u64 {
    this.write(Reg.DeviceFeaturesSel, 0);
    const low = <u64>this.read(Reg.DeviceFeatures);
    this.write(Reg.DeviceFeaturesSel, 1);
    const high = <u64>this.read(Reg.DeviceFeatures);
    return low | (high << 32);
  }

  setDriverFeatures(features: u64): void {
    this.write(Reg.DriverFeaturesSel, 0);
    this.write(Reg.DriverFeatures, <u32>features);
    this.write(Reg.DriverFeaturesSel, 1);
    this.write(Reg.DriverFeatures, <u32>(features >> 32));
  }

  /** Selects queue `index`; returns its maximum size (0 = the queue does not exist). */
  selectQueue(index: u32): u32 {
    this.write(Reg.QueueSel, index);
    return this.read(Reg.QueueNumMax);
  }

  /** Gives the selected queue its size and ring addresses and marks it ready. */
  activateQueue(size: u32, desc: u64, driverArea: u64, deviceArea: u64): void {
    this.write(Reg.QueueNum, size);
    this.write(Reg.QueueDescLow, <u32>desc);
    this.write(Reg.QueueDescHigh, <u32>(desc >> 32));
    this.write(Reg.QueueDriverLow, <u32>driverArea);
    this.write(Reg.QueueDriverHigh, <u32>(driverArea >> 32));
    this.write(Reg.QueueDeviceLow, <u32>deviceArea);
    this.write(Reg.QueueDeviceHigh, <u32>(deviceArea >> 32));
    this.write(Reg.QueueReady, 1);
  }

  queueReady(): bool {
    return this.read(Reg.QueueReady) != 0;
  }

  notify(queue: u32): void {
    this.write(Reg.QueueNotify, queue);
  }

  interruptStatus(): u32 {
    return this.read(Reg.InterruptStatus);
  }

  acknowledgeInterrupt(bits: u32): void {
    this.write(Reg.InterruptAck, bits);
  }

  configGeneration(): u32 {
    return this.read(Reg.ConfigGeneration);
  }

  config8(offset: u64): u32 {
    return mmio_read8(this.base + Reg.Config + offset);
  }

  config32(offset: u64): u32 {
    return mmio_read32(this.base + Reg.Config + offset);
  }

  /** A 64-bit config field as two 32-bit reads, retried until the generation is stable. */
  config64(offset: u64): u64 {
    let value: u64 = 0;
    for (let attempt = 0; attempt < 100; attempt++) {
      const before = this.configGeneration();
      const low = <u64>this.config32(offset);
      const high = <u64>this.config32(offset + 4);
      value = low | (high << 32);
      if (this.configGeneration() == before) break;
    }
    return value;
  }
}

/** Device IDs (virtio 1.x, section 5). */
export function deviceTypeName(id: u32): string {
  switch (id) {
    case 0: return "none";
    case 1: return "network";
    case 2: return "block";
    case 3: return "console";
    case 4: return "entropy";
    case 5: return "balloon";
    case 8: return "scsi";
    case 9: return "9p";
    case 16: return "gpu";
    case 18: return "input";
    case 19: return "vsock";
    case 20: return "crypto";
    case 26: return "fs";
    default: return "type " + id.toString();
  }
}
