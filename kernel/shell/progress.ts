// Progress of a long command on one rewritten line, and the command's checkpoint.
//
//   const p = new Progress("sha256sum /big", true);
//   while (...) { if (p.step(done, total)) { p.finish(); return interrupted("sha256sum"); } ... }
//   p.finish();
//
// step() calls checkpoint() (kernel/sched/checkpoint.ts: periodic work, Ctrl-C) and, once the
// command has run for 2 s, redraws "  sha256sum /big: 1.5 GiB of 2.0 GiB (75%)" every 250 ms
// on one line ("\r" + text + erase to the end). finish() erases that line, so the command's
// own output starts on a clean line. Commands whose output is the data itself (cat, hexdump,
// find) only checkpoint: a progress line would mix into their output.
import { print, printError } from "../platform/console";
import { nowTicks, usToTicks } from "../platform/time";
import { bytes } from "../lib/format";
import { checkpoint } from "../sched/checkpoint";

const SHOW_AFTER_US: u64 = 2_000_000;
const REDRAW_US: u64 = 250_000;

/** The status of a command stopped by Ctrl-C (128 + SIGINT, as shells report it). */
export const INTERRUPTED_STATUS: i32 = 130;

/** Prints "error: CMD: interrupted" and returns INTERRUPTED_STATUS. */
export function interrupted(command: string): i32 {
  printError(command + ": interrupted");
  return INTERRUPTED_STATUS;
}

export class Progress {
  private startedAt: u64;
  private nextDrawAt: u64;
  private redrawTicks: u64;
  /** Lines drawn (tests). */
  draws: i32 = 0;
  private shown: bool = false;

  /** `inBytes`: amounts are bytes (shown as KiB/MiB/GiB), else counts ("1200 of 5000"). */
  constructor(public label: string, public inBytes: bool) {
    this.startedAt = nowTicks();
    this.nextDrawAt = this.startedAt + usToTicks(SHOW_AFTER_US);
    this.redrawTicks = usToTicks(REDRAW_US);
  }

  /** Checkpoints and redraws when due; `total` 0 = unknown. Returns true on Ctrl-C. */
  step(done: u64, total: u64): bool {
    if (checkpoint()) return true;
    const now = nowTicks();
    if (now < this.nextDrawAt) return false;
    this.nextDrawAt = now + this.redrawTicks;
    let text = "  " + this.label + ": " + this.amount(done);
    if (total > 0) {
      text += " of " + this.amount(total);
      text += " (" + (done >= total ? "100" : ((done * 100) / total).toString()) + "%)";
    }
    print("\r" + text + "\x1b[K");
    this.shown = true;
    this.draws++;
    return false;
  }

  /** Erases the progress line (when one was drawn). */
  finish(): void {
    if (!this.shown) return;
    print("\r\x1b[K");
    this.shown = false;
  }

  private amount(v: u64): string {
    return this.inBytes ? bytes(v) : v.toString();
  }
}
