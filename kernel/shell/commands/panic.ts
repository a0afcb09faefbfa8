// panic: deliberately crash the kernel, to show (and test) the panic reports.
import { registerCommand } from "../registry";
import { printError, println } from "../../platform/console";
import { mmio_read32 } from "../../platform/imports";

// An address inside the virtual address space that no page table maps.
const UNMAPPED_ADDRESS: u64 = 0x20_0000_0000;
// A linear-memory address past the end of memory: kernel.c has no software bounds check,
// so this must fault in the guard region (toolchain/wasm2c-patch.ts).
const OUT_OF_BOUNDS: usize = 0xffff_fff0;

registerCommand("panic", "crash the kernel on purpose (tests the panic report)",
  "panic trap|abort|fault|oob\n  trap   execute a wasm 'unreachable' (a wasm trap)\n  abort  fail a kernel assertion (AssemblyScript abort)\n  fault  read an unmapped address (a CPU data abort)\n  oob    read beyond the end of wasm linear memory (the guard region faults: a wasm trap)\n  The kernel prints a panic report, saves it to the system disk and halts;\n  the next boot stores it in /incidents/.",
  (args: Array<string>): i32 => {
    if (args.length != 1) {
      printError("usage: panic trap|abort|fault|oob");
      return 1;
    }
    const kind = args[0];
    if (kind == "trap") {
      println("executing unreachable...");
      unreachable();
    } else if (kind == "abort") {
      println("failing an assertion...");
      assert(kind.length == 0, "deliberate assertion failure from the panic command");
    } else if (kind == "fault") {
      println("reading unmapped address 0x" + UNMAPPED_ADDRESS.toString(16) + "...");
      const v = mmio_read32(UNMAPPED_ADDRESS);
      println("read returned " + v.toString() + " (no fault?)");
      return 1;
    } else if (kind == "oob") {
      println("reading linear address 0x" + OUT_OF_BOUNDS.toString(16) + " (beyond linear memory)...");
      const v = load<u32>(OUT_OF_BOUNDS);
      println("read returned " + v.toString() + " (no fault?)");
      return 1;
    } else {
      printError("unknown panic kind '" + kind + "' (expected trap, abort, fault or oob)");
      return 1;
    }
    return 1;
  });
