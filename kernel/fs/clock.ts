// Wall-clock time for file timestamps and `date`: a base read from the PL031 RTC at boot
// (setWallClockFromRtc; 2026-01-01 00:00:00 UTC when there is no RTC) plus the time since,
// from the virtual counter.
import { nowUs } from "../platform/time";
import { rtcSeconds } from "../platform/rtc";

let baseSeconds: i64 = 1767225600;
let baseAtUs: u64 = 0;

/** Where the wall clock came from ("PL031 RTC" or "built-in date, no RTC"). */
export let wallClockSource: string = "built-in date";

/** Boot: sets the wall clock from the RTC when there is one; returns its source. */
export function setWallClockFromRtc(): string {
  const s = rtcSeconds();
  if (s > 0) {
    setWallClock(s);
    wallClockSource = "PL031 RTC";
  } else {
    wallClockSource = "built-in date, no RTC";
  }
  return wallClockSource;
}

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
