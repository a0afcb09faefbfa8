// The block-device interface: what file systems and the buffer cache see of a disk.
//
// ext4 never sees virtio: drivers implement BlockDevice (kernel/drivers/virtio/blk.ts on the
// target; a file-backed device on Node in tests), and register it by name (vda, vdb, ...).
// Addresses are in 512-byte sectors; buffers are linear-memory pointers. Every call returns
// 0 or a negative error code from kernel/lib/errors.ts; none of them traps on bad input.

export const SECTOR_SIZE: u32 = 512;

export abstract class BlockDevice {
  constructor(
    public name: string,
    public sectorCount: u64,
    public readOnly: bool,
  ) {}

  /** Reads `count` sectors starting at `lba` into `buffer`. */
  abstract read(lba: u64, count: u32, buffer: usize): i32;
  /** Writes `count` sectors starting at `lba` from `buffer`. -EROFS on a read-only device. */
  abstract write(lba: u64, count: u32, buffer: usize): i32;
  /**
   * Barrier: returns once every write completed before the call is durable on the medium.
   * The journal orders data -> commit -> checkpoint with it.
   */
  abstract flush(): i32;

  get sizeBytes(): u64 {
    return this.sectorCount * <u64>SECTOR_SIZE;
  }

  /** Set by the VFS while a file system is mounted from this device. */
  mountedAt: string = "";
}

const devices = new Array<BlockDevice>(0);

export function registerBlockDevice(device: BlockDevice): void {
  devices.push(device);
}

export function unregisterBlockDevice(device: BlockDevice): void {
  const i = devices.indexOf(device);
  if (i >= 0) devices.splice(i, 1);
}

export function findBlockDevice(name: string): BlockDevice | null {
  const bare = name.startsWith("/dev/") ? name.substring(5) : name;
  for (let i = 0; i < devices.length; i++) if (devices[i].name == bare) return devices[i];
  return null;
}

export function blockDevices(): Array<BlockDevice> {
  return devices;
}
