// Time from the virtual counter (62.5 MHz on QEMU virt). All kernel time keeping reads
// the counter; the 100 Hz tick only wakes the CPU.
import { counter, counter_frequency } from "./imports";

let frequency: u64 = 0;

export function counterHz(): u64 {
  if (frequency == 0) frequency = counter_frequency();
  return frequency;
}

export function nowTicks(): u64 {
  return counter();
}

/** Counter ticks to nanoseconds without overflow for spans up to ~9 years. */
export function ticksToNs(ticks: u64): u64 {
  const hz = counterHz();
  return (ticks / hz) * 1_000_000_000 + ((ticks % hz) * 1_000_000_000) / hz;
}

export function ticksToUs(ticks: u64): u64 {
  return ticksToNs(ticks) / 1000;
}

export function nowNs(): u64 {
  return ticksToNs(counter());
}

export function nowUs(): u64 {
  return nowNs() / 1000;
}

export function nowMs(): u64 {
  return nowNs() / 1_000_000;
}

export function usToTicks(us: u64): u64 {
  return (us * counterHz()) / 1_000_000;
}

/** Counter value when the prompt first appeared (0 until then): the boot time, since the counter starts with QEMU. */
let bootCompleteAt: u64 = 0;

/** Records now as the moment boot completed (kernel/init.ts, just before the first prompt); returns it. */
export function markBootComplete(): u64 {
  bootCompleteAt = nowTicks();
  return bootCompleteAt;
}

/** The counter value markBootComplete() recorded (0 before boot completed). */
export function bootCompleteTicks(): u64 {
  return bootCompleteAt;
}
