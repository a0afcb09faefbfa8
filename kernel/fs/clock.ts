// Wall-clock seconds for file timestamps. SIS has no trusted time source yet, so the clock
// is a base (2026-01-01 00:00:00 UTC unless someone sets it, e.g. from the RTC) plus the
// time since boot from the virtual counter.
import { nowUs } from "../platform/time";

let baseSeconds: i64 = 1767225600;
let baseAtUs: u64 = 0;

/** Sets the wall clock to `seconds` since 1970 at this moment. */
export function setWallClock(seconds: i64): void {
  baseSeconds = seconds;
  baseAtUs = nowUs();
}

export function wallClockSeconds(): i64 {
  return baseSeconds + <i64>((nowUs() - baseAtUs) / 1_000_000);
}

/** Nanoseconds within the current second (for ext4's extra time fields). */
export function wallClockNanos(): u32 {
  return <u32>(((nowUs() - baseAtUs) % 1_000_000) * 1000);
}
