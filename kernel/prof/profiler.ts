// The profiler's state: start and stop the sample timer (arch-aarch64/prof.c through the
// platform imports), and turn the stopped buffer into a Profile named by /boot/kernel.sym.
import * as platform from "../platform/imports";
import { nowNs } from "../platform/time";
import { Profile, buildProfile } from "./profile";
import { SymbolTable, loadSymbols, loadError } from "./symbols";

/** Default rate: prime, so sampling never runs in step with the 100 Hz tick or its periodic work. */
export const DEFAULT_HZ: u32 = 997;
export const MAX_HZ: u32 = 20000;

let running = false;
let hz: u32 = 0;
let startedNs: u64 = 0;
let stoppedNs: u64 = 0;
let symbols: SymbolTable | null = null;
export let symbolError = "";

export function isRunning(): bool { return running; }
export function rate(): u32 { return hz; }
/** Seconds sampled by the current or last run. */
export function seconds(): f64 {
  if (startedNs == 0) return 0;
  return <f64>((running ? nowNs() : stoppedNs) - startedNs) / 1e9;
}
export function sampleCount(): u32 { return platform.prof_samples(); }
export function droppedCount(): u32 { return platform.prof_dropped(); }
export function hasRun(): bool { return startedNs != 0; }

/** Starts a fresh run at `rate` Hz; false when the rate is refused. */
export function start(rate: u32): bool {
  if (platform.prof_start(rate) == 0) return false;
  running = true;
  hz = rate;
  startedNs = nowNs();
  stoppedNs = 0;
  return true;
}

export function stop(): void {
  platform.prof_stop();
  if (running) stoppedNs = nowNs();
  running = false;
}

/** The symbol table, loaded once; null (symbolError set) when the file is missing. */
export function kernelSymbols(): SymbolTable | null {
  if (symbols == null) {
    symbols = loadSymbols();
    symbolError = symbols == null ? loadError : "";
  }
  return symbols;
}

/** The last run's samples as a profile (the buffer stays until the next start). */
export function currentProfile(): Profile {
  const n = platform.prof_used_words();
  const words = new Uint32Array(<i32>n);
  for (let i: u32 = 0; i < n; i++) words[i] = platform.prof_word(i);
  return buildProfile(words, kernelSymbols());
}
