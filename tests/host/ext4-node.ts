// The Node build of SIS's ext4 (tests/host/ext4-node.entry.ts) with host-backed disks.
//
//   const k = await Ext4Node.load();
//   k.attach("vda", "build/fs-images/ext4-4k.img");     // a file (writes go to it, sparse)
//   k.attachBuffer("vdb", buffer);                     // or a Buffer (corruption tests)
//   k.bootMount();                                     // vda at "/" (or a tmpfs root)
//   k.sh("ls -l /etc") -> { status, out }              // any shell command, output captured
//   k.fileSha256("/etc/motd"); k.exports.unmountAll();
//
// A kernel abort (an AssemblyScript assertion or bounds failure) surfaces as a thrown Error;
// a wasm trap as a WebAssembly.RuntimeError. Tests that feed corrupt images catch both and
// fail. Each Ext4Node is a fresh kernel instance (its own heap, mounts and devices).
import * as fs from "node:fs";
import { loadKernelModule, KernelModule } from "./compile.ts";
import { HostPlatform } from "./platform.ts";

export const ENTRY = "tests/host/ext4-node.entry.ts";
/** The kernel heap size on the target: the Node build gets the same limit. */
export const HEAP_PAGES = (48 << 20) / 65536;

interface Disk {
  fd?: number;
  buffer?: Buffer;
  readOnly: boolean;
  /** Optional hook that sees every write (lba, bytes) before it lands (crash harness). */
  onWrite?: (lba: number, data: Buffer) => void;
  onFlush?: () => void;
  /** Fail I/O from now on with -EIO (device errors). */
  failing?: boolean;
  /** Power is cut: writes are acknowledged but never land (crash simulation). */
  dropWrites?: boolean;
}

export interface ShellResult {
  status: number;
  out: string;
}

export class Ext4Node {
  readonly disks = new Map<number, Disk>();
  private nextId = 1;
  exports: any;
  platform: HostPlatform;
  memory: WebAssembly.Memory;

  private constructor(module: KernelModule<any>) {
    this.exports = module.exports;
    this.platform = module.platform;
    this.memory = module.memory;
  }

  /** growableHeap: no fixed 48 MiB memory (its size then shows what the heap really uses). */
  static async load(options: { growableHeap?: boolean } = {}): Promise<Ext4Node> {
    const platform = new HostPlatform();
    let self: Ext4Node | null = null;
    const disk = (id: number): Disk => {
      const d = self!.disks.get(id);
      if (!d) throw new Error(`hostblk: no disk ${id}`);
      return d;
    };
    platform.addImports("hostblk", {
      read(id: number, lba: bigint, count: number, ptr: number): number {
        const d = disk(id);
        if (d.failing) return -5;
        const mem = new Uint8Array(self!.memory.buffer, ptr, count * 512);
        const offset = Number(lba) * 512;
        if (d.buffer) {
          mem.fill(0);
          d.buffer.copy(mem, 0, offset, Math.min(d.buffer.length, offset + count * 512));
        } else {
          const n = fs.readSync(d.fd!, mem, 0, count * 512, offset);
          if (n < count * 512) mem.fill(0, n);
        }
        return 0;
      },
      write(id: number, lba: bigint, count: number, ptr: number): number {
        const d = disk(id);
        if (d.failing) return -5;
        if (d.readOnly) return -30;
        const data = Buffer.from(self!.memory.buffer, ptr, count * 512);
        const offset = Number(lba) * 512;
        d.onWrite?.(Number(lba), Buffer.from(data));
        if (d.dropWrites) return 0;
        if (d.buffer) data.copy(d.buffer, offset);
        else fs.writeSync(d.fd!, data, 0, count * 512, offset);
        return 0;
      },
      flush(id: number): number {
        const d = disk(id);
        if (d.failing) return -5;
        d.onFlush?.();
        return 0;
      },
    });
    const module = await loadKernelModule(ENTRY, options.growableHeap ? {} : { pages: HEAP_PAGES }, platform);
    self = new Ext4Node(module);
    return self;
  }

  /** Attaches an image file as block device `name` (vda, vdb...). */
  attach(name: string, image: string, options: { readOnly?: boolean } = {}): number {
    const readOnly = options.readOnly ?? false;
    const fd = fs.openSync(image, readOnly ? "r" : "r+");
    const size = fs.fstatSync(fd).size;
    const id = this.nextId++;
    this.disks.set(id, { fd, readOnly });
    this.exports.attachDisk(name, id, BigInt(Math.floor(size / 512)), readOnly);
    return id;
  }

  /** Attaches an in-memory image (the buffer is used, not copied). */
  attachBuffer(name: string, buffer: Buffer, options: { readOnly?: boolean } = {}): number {
    const id = this.nextId++;
    this.disks.set(id, { buffer, readOnly: options.readOnly ?? false });
    this.exports.attachDisk(name, id, BigInt(Math.floor(buffer.length / 512)), options.readOnly ?? false);
    return id;
  }

  disk(id: number): Disk {
    return this.disks.get(id)!;
  }

  /** Closes the host files (after unmounting). */
  closeFiles(): void {
    for (const d of this.disks.values()) if (d.fd !== undefined) fs.closeSync(d.fd);
    this.disks.clear();
  }

  bootMount(): string {
    this.platform.takeOutput();
    this.exports.bootMount();
    return this.platform.takeOutput();
  }

  /** Runs a shell command; returns its status and output ("\r\n" turned into "\n"). */
  sh(line: string): ShellResult {
    this.platform.takeOutput();
    const status = this.exports.run(line);
    return { status, out: this.platform.takeOutput().replace(/\r\n/g, "\n") };
  }

  fileSha256(path: string): string {
    return this.exports.fileSha256(path);
  }
}
