// lsdev: the virtio-mmio devices found at boot: slot, base address, type, interface version,
// interrupt, the features offered and negotiated, and the driver's state.
import { registerCommand } from "../registry";
import { println, printError } from "../../platform/console";
import { virtioSlots } from "../../drivers/virtio/probe";
import { deviceTypeName, VIRTIO_MMIO_SLOTS } from "../../drivers/virtio/mmio";
import { featureNames } from "../../drivers/virtio/features";
import { table, hex0x } from "../../lib/format";

registerCommand("lsdev", "list devices found on the virtio-mmio bus",
  "lsdev [-v]\n  Every virtio-mmio device: slot, base address, type, interface version, IRQ (GIC INTID),\n" +
  "  block device name, driver state, and the features negotiated.\n" +
  "  -v  also the features the device offered",
  (args: Array<string>): i32 => {
    const verbose = args.length == 1 && args[0] == "-v";
    if (args.length > 1 || (args.length == 1 && !verbose)) {
      printError("usage: lsdev [-v]");
      return 1;
    }
    const slots = virtioSlots();
    println(VIRTIO_MMIO_SLOTS.toString() + " virtio-mmio slots scanned, " + slots.length.toString() + " device(s)");
    if (slots.length == 0) return 0;
    const rows = new Array<Array<string>>(0);
    rows.push(["SLOT", "BASE", "TYPE", "VERSION", "IRQ", "NAME", "STATE"]);
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      const blk = s.blk;
      let state = "no driver";
      if (blk != null) {
        state = blk.state;
        if (blk.ready) {
          const q = blk.queue;
          state += ", queue " + (q != null ? q.size.toString() : "-") + (blk.pollMode ? ", polling" : ", interrupts");
        }
      }
      rows.push([s.slot.toString(), hex0x(s.base, 8), deviceTypeName(s.deviceId), s.version.toString(), s.intid.toString(),
        s.name.length > 0 ? s.name : "-", state]);
    }
    const lines = table(rows).split("\n");
    println("  " + lines[0]);
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      println("  " + lines[i + 1]);
      const blk = s.blk;
      if (blk != null && blk.negotiated != 0) println("      negotiated: " + featureNames(blk.negotiated, s.deviceId));
      if (verbose && blk != null) println("      offered:    " + featureNames(blk.offered, s.deviceId));
    }
    return 0;
  });
