// date: the wall clock (the PL031 RTC read at boot, then the counter; kernel/fs/clock.ts).
import { registerCommand } from "../registry";
import { println, printError } from "../../platform/console";
import { padLeft } from "../../lib/format";
import { formatTime } from "../../fs/messages";
import { wallClockSeconds, wallClockNanos, wallClockSource } from "../../fs/clock";

registerCommand("date", "show the date and time (UTC)", "date [--epoch] [--json]\n  Prints the wall clock in UTC (set from the PL031 real-time clock at boot).\n  --epoch  seconds since 1970 (with nanoseconds)\n  --json   {\"seconds\":S,\"nanos\":N,\"source\":\"...\"}",
  (args: Array<string>): i32 => {
    const s = wallClockSeconds();
    const ns = wallClockNanos();
    if (args.length == 0) {
      println(formatTime(s) + " UTC (" + wallClockSource + ")");
      return 0;
    }
    if (args.length == 1 && args[0] == "--epoch") {
      println(s.toString() + "." + padLeft(ns.toString(), 9, "0"));
      return 0;
    }
    if (args.length == 1 && args[0] == "--json") {
      println("{\"seconds\":" + s.toString() + ",\"nanos\":" + ns.toString() + ",\"source\":\"" + wallClockSource + "\"}");
      return 0;
    }
    printError("usage: date [--epoch] [--json]");
    return 1;
  });
