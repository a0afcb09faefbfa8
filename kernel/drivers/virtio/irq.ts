// Shared bookkeeping of virtio-mmio interrupts.
//
// The C handler (arch-aarch64/trap.c) masks a slot's line in the GIC and sets bit `slot` in
// one mask; irq_take_virtio() returns and clears the whole mask. Several devices share it,
// so every take goes through here: the bits are kept until the device they belong to asks.
// A device that took its bit must ACK its InterruptStatus and then irq_enable() its line.
import { irq_take_virtio } from "../../platform/imports";

let pendingSlots: u32 = 0;

/** Has slot `slot` raised its interrupt since it last asked? Clears its bit. */
export function takeSlotInterrupt(slot: i32): bool {
  pendingSlots |= irq_take_virtio();
  const bit = (<u32>1) << <u32>slot;
  if ((pendingSlots & bit) == 0) return false;
  pendingSlots &= ~bit;
  return true;
}

/** Slots with an interrupt recorded and not yet taken (lsdev, tests). */
export function pendingSlotMask(): u32 {
  pendingSlots |= irq_take_virtio();
  return pendingSlots;
}
