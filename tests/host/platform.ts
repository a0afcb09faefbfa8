// The platform imports of kernel/platform/imports.ts, implemented on Node, so kernel modules
// compiled to wasm run in mocha. Console output is captured, input is queued, the counter
// runs at QEMU's 62.5 MHz from the host clock (or stands still when a test sets it), and
// MMIO goes to handlers a test can install (a fake device) or fails loudly.
export const COUNTER_HZ = 62_500_000n;

export interface MemoryRangeSpec { type: number; start: bigint; pages: bigint }

export type MmioHandler = {
  read(addr: bigint, size: number): bigint;
  write(addr: bigint, size: number, value: bigint): void;
};

export class HostPlatform {
  memory?: WebAssembly.Memory;
  outputBytes: number[] = [];
  input: number[] = [];
  /** When set, counter() returns this value instead of host time. */
  fixedCounter: bigint | null = null;
  ticks = 0n;
  poweredOff = false;
  /** Profiler samples a test plants: each [pc, ret1, ...] as image-relative addresses. */
  profRecords: number[][] = [];
  profDropped = 0;
  profRunning = false;
  profWords(): number[] {
    return this.profRecords.flatMap((r) => [r.length, ...r]);
  }
  rebooted = false;
  /** What the kernel registered for the panic path's report (incident_area), if anything. */
  incidentArea: { base: bigint; sector: bigint } | null = null;
  panicMessage: string | null = null;
  virtioPending = 0;
  enabledIrqs = new Set<number>();
  bootInfo = new Map<number, bigint>();
  memmap: MemoryRangeSpec[] = [
    { type: 7, start: 0x40000000n, pages: 0x3c000n }, // 960 MiB conventional
    { type: 2, start: 0x7c000000n, pages: 0x4000n }, // 64 MiB loader data
  ];
  /** Set when a test replaced memmap itself (loadKernelModule then leaves it alone). */
  customMemmap = false;
  mmio: MmioHandler | null = null;
  /** Called when the kernel sleeps in wait_for_interrupt (a fake device does its work here). */
  onWaitForInterrupt: (() => void) | null = null;
  /** Called after irq_enable(intid) (a level-triggered fake device re-raises its line here). */
  onIrqEnable: ((intid: number) => void) | null = null;
  /** Test-only import modules (a file-backed disk, a fake device...): name -> functions. */
  extraImports: Record<string, Record<string, Function>> = {};
  private readonly started = process.hrtime.bigint();

  output(): string {
    return Buffer.from(this.outputBytes).toString("utf8");
  }

  takeOutput(): string {
    const s = this.output();
    this.outputBytes = [];
    return s;
  }

  type(text: string): void {
    for (const b of Buffer.from(text, "utf8")) this.input.push(b);
  }

  counter(): bigint {
    if (this.fixedCounter !== null) return this.fixedCounter;
    return ((process.hrtime.bigint() - this.started) * COUNTER_HZ) / 1_000_000_000n;
  }

  /** Reads an AssemblyScript string (UTF-16, byte length at ptr - 4). */
  readString(ptr: number): string {
    if (!this.memory || !ptr) return "?";
    const view = new DataView(this.memory.buffer);
    const len = view.getUint32(ptr - 4, true);
    return Buffer.from(this.memory.buffer, ptr, len).toString("utf16le");
  }

  /** Adds test-only imports, e.g. addImports("hostblk", {...}) for @external("hostblk", ...). */
  addImports(module: string, functions: Record<string, Function>): void {
    this.extraImports[module] = { ...(this.extraImports[module] ?? {}), ...functions };
  }

  imports(): WebAssembly.Imports {
    const self = this;
    const mem = () => new Uint8Array(self.memory!.buffer);
    const noMmio = (addr: bigint): never => {
      throw new Error(`MMIO access to 0x${addr.toString(16)} with no device installed`);
    };
    return {
      ...this.extraImports,
      platform: {
        console_write(ptr: number, len: number) {
          const bytes = mem().subarray(ptr, ptr + len);
          for (const b of bytes) self.outputBytes.push(b);
        },
        console_read(): number {
          return self.input.length ? self.input.shift()! : -1;
        },
        counter: () => self.counter(),
        counter_frequency: () => COUNTER_HZ,
        ticks: () => self.ticks,
        tick_hz: () => 100,
        irq_count: () => self.ticks,
        wait_for_interrupt() { self.onWaitForInterrupt?.(); },
        irq_take_virtio(): number {
          const p = self.virtioPending;
          self.virtioPending = 0;
          return p;
        },
        irq_enable(intid: number) {
          self.enabledIrqs.add(intid);
          self.onIrqEnable?.(intid);
        },
        irq_disable(intid: number) { self.enabledIrqs.delete(intid); },
        // CRC-32C (raw): the target uses the CPU's crc32c instructions (arch-aarch64/imports.c)
        crc32c_update(crc: number, ptr: number, len: number): number {
          return crc32cRaw(crc, mem(), ptr, len);
        },
        // the profiler: tests fill profRecords ([pc, ret1, ...] each); start/stop only switch
        prof_start(hz: number): number {
          if (hz < 1 || hz > 20000) return 0;
          self.profRunning = true;
          return 1;
        },
        prof_stop() { self.profRunning = false; },
        prof_samples: () => self.profRecords.length,
        prof_dropped: () => self.profDropped,
        prof_used_words: () => self.profWords().length,
        prof_word: (i: number) => self.profWords()[i] ?? 0,
        power_off() { self.poweredOff = true; },
        reboot() { self.rebooted = true; },
        incident_area(base: bigint, sector: bigint) { self.incidentArea = { base, sector }; },
        panic(ptr: number, len: number) {
          self.panicMessage = Buffer.from(mem().subarray(ptr, ptr + len)).toString("utf8");
          throw new Error(`KERNEL PANIC: ${self.panicMessage}`);
        },
        boot_info(key: number): bigint {
          if (key === 13) return BigInt(self.memmap.length);
          return self.bootInfo.get(key) ?? 0n;
        },
        memmap_field(index: number, field: number): bigint {
          const r = self.memmap[index];
          if (!r) return 0n;
          return field === 0 ? BigInt(r.type) : field === 1 ? r.start : field === 2 ? r.pages : 0n;
        },
        firmware_vendor_char: () => 0,
        mmio_read8: (a: bigint) => Number(self.mmio ? self.mmio.read(a, 1) : noMmio(a)),
        mmio_read16: (a: bigint) => Number(self.mmio ? self.mmio.read(a, 2) : noMmio(a)),
        mmio_read32: (a: bigint) => Number(self.mmio ? self.mmio.read(a, 4) : noMmio(a)),
        mmio_read64: (a: bigint) => (self.mmio ? self.mmio.read(a, 8) : noMmio(a)),
        mmio_write8: (a: bigint, v: number) => (self.mmio ? self.mmio.write(a, 1, BigInt(v >>> 0)) : noMmio(a)),
        mmio_write16: (a: bigint, v: number) => (self.mmio ? self.mmio.write(a, 2, BigInt(v >>> 0)) : noMmio(a)),
        mmio_write32: (a: bigint, v: number) => (self.mmio ? self.mmio.write(a, 4, BigInt(v >>> 0)) : noMmio(a)),
        mmio_write64: (a: bigint, v: bigint) => (self.mmio ? self.mmio.write(a, 8, BigInt.asUintN(64, v)) : noMmio(a)),
        dma_barrier() {},
        // user processes (kernel/proc/user_imports.ts): no EL0 on Node, tables are still built
        user_page_attributes: () => 0x704n,
        user_run: () => 0xff,
        user_forget: () => {},
        user_tlb_invalidate: () => {},
        user_tlb_flushes: () => 0n,
      },
      env: {
        abort(message: number, file: number, line: number, column: number) {
          const text = `${self.readString(message)} at ${self.readString(file)}:${line}:${column}`;
          self.panicMessage = text;
          throw new Error(`kernel abort: ${text}`);
        },
        seed: () => 42,
        trace(message: number, n: number, ...args: number[]) {
          console.log(`trace: ${self.readString(message)} ${args.slice(0, n).join(", ")}`);
        },
      },
    };
  }
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** Raw CRC-32C (no inversion) of bytes[ptr, ptr + len), continuing from crc. */
export function crc32cRaw(crc: number, bytes: Uint8Array, ptr: number, len: number): number {
  if (ptr + len > bytes.length) throw new Error(`crc32c_update: ${ptr}+${len} outside linear memory`);
  let c = crc >>> 0;
  for (let i = ptr, end = ptr + len; i < end; i++) c = CRC32C_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}
