// Incident reports (issue 24, bug 11): a panic's report survives the reboot in /incidents/.
//
// The system disk keeps a reserved area of 4 KiB after the end of its ext4 file system
// (images/system-disk.ts). At boot, once "/" is mounted from vda, storePendingIncident():
//   1. reads the area; when it holds a report (written there by the panic path in C,
//      arch-aarch64/incident.c, "SISPANIC <seconds>\n" then the report text), stores it as
//      /incidents/<date>-<time>-<kind>.txt, fsyncs it, then clears the area;
//   2. sets incidentAreaSector, which kernel/init.ts hands to the panic path with vda's
//      virtio-mmio base (platform import incident_area; fs/ never depends on a driver).
// It returns one banner line. A disk without the area (an older image, other test disks)
// only loses the feature: the panic path then says the report was not saved.
import * as vfs from "./vfs";
import { FsStats, Stat } from "./types";
import { writeTextFile } from "./files";
import { formatTime } from "./messages";
import { findBlockDevice } from "../block/device";

export const AREA_BYTES: u32 = 4096;
export const AREA_SECTORS: u32 = AREA_BYTES / 512;
const MAGIC = "SISPANIC ";
export const INCIDENT_DIR = "/incidents";

/** The reserved area's first sector on vda, -1 when vda has none (set by storePendingIncident). */
export let incidentAreaSector: i64 = -1;

export class Incident {
  /** Seconds since 1970 when it happened (the RTC at panic time), 0 when unknown. */
  seconds: i64 = 0;
  /** "fault" (CPU exception), "trap" (wasm trap), "abort" (kernel assertion) or "panic". */
  kind: string = "panic";
  /** The report as the console showed it. */
  text: string = "";
}

/** Parses the reserved area's bytes; null when it holds no report (zeros, anything else). */
export function parseIncident(bytes: Uint8Array): Incident | null {
  let end = 0;
  while (end < bytes.length && bytes[end] != 0) end++;
  if (end < MAGIC.length) return null;
  const raw = String.UTF8.decodeUnsafe(bytes.dataStart, <usize>end, false);
  if (!raw.startsWith(MAGIC)) return null;
  const nl = raw.indexOf("\n");
  if (nl < 0) return null;
  const incident = new Incident();
  const secs = raw.substring(MAGIC.length, nl);
  let s: i64 = 0;
  for (let i = 0; i < secs.length; i++) {
    const c = secs.charCodeAt(i);
    if (c < 48 || c > 57 || i > 12) return null;
    s = s * 10 + <i64>(c - 48);
  }
  incident.seconds = s;
  // the console's line ends are "\r\n"; the file keeps plain "\n", without the leading blank line
  let text = raw.substring(nl + 1).replaceAll("\r", "");
  while (text.startsWith("\n")) text = text.substring(1);
  incident.text = text;
  if (text.includes("KERNEL PANIC: CPU exception")) incident.kind = "fault";
  else if (text.includes("KERNEL PANIC: wasm trap")) incident.kind = "trap";
  else if (text.includes("KERNEL PANIC: kernel abort")) incident.kind = "abort";
  return incident;
}

/** "2026-12-03-153500-fault.txt": the date and time of the incident (or of `fallback`). */
export function incidentFileName(incident: Incident, fallbackSeconds: i64): string {
  const t = formatTime(incident.seconds > 0 ? incident.seconds : fallbackSeconds); // "YYYY-MM-DD HH:MM:SS"
  return t.substring(0, 10) + "-" + t.substring(11, 13) + t.substring(14, 16) + t.substring(17, 19) + "-" + incident.kind + ".txt";
}

/** Stores `incident` under /incidents/; returns the path, or "" with `storeError` set. */
export let storeError: i32 = 0;
export function storeIncident(incident: Incident, nowSeconds: i64): string {
  const st = new Stat();
  if (vfs.stat(INCIDENT_DIR, true, st) < 0) {
    const e = vfs.makeDirectory(INCIDENT_DIR, 0o755);
    if (e < 0) {
      storeError = e;
      return "";
    }
  }
  const name = incidentFileName(incident, nowSeconds);
  let path = INCIDENT_DIR + "/" + name;
  for (let n = 2; vfs.stat(path, false, st) == 0 && n < 100; n++) {
    path = INCIDENT_DIR + "/" + name.substring(0, name.length - 4) + "-" + n.toString() + ".txt";
  }
  const header = "SIS incident report: kernel panic (" + incident.kind + ")\n" +
    "when: " + (incident.seconds > 0 ? formatTime(incident.seconds) + " UTC" : "unknown (no RTC at panic time)") + "\n\n";
  const r = writeTextFile(path, header + incident.text);
  if (r < 0) {
    storeError = r;
    return "";
  }
  return path;
}

/**
 * Boot, after the root mount: stores a pending report, clears the area and registers it with
 * the panic path. Returns the banner line ("" when vda has no reserved area).
 */
export function storePendingIncident(nowSeconds: i64): string {
  incidentAreaSector = -1;
  const dev = findBlockDevice("vda");
  if (dev == null) return "";
  const fsStats = new FsStats();
  if (vfs.statfs("/", fsStats) < 0 || !fsStats.typeName.startsWith("ext") || fsStats.blockSize == 0) return "";
  const fsEnd = fsStats.totalBlocks * <u64>fsStats.blockSize / 512; // the first sector after the file system
  if (fsEnd + <u64>AREA_SECTORS > dev.sectorCount) return "incidents: no reserved area on vda (panic reports are not kept)";
  const buf = new Uint8Array(AREA_BYTES);
  let e = dev.read(fsEnd, AREA_SECTORS, buf.dataStart);
  if (e < 0) return "incidents: error reading the reserved area (" + e.toString() + ")";
  let line = "";
  const incident = parseIncident(buf);
  if (incident != null) {
    const path = storeIncident(incident, nowSeconds);
    if (path.length == 0) {
      // keep the area: the next boot tries again
      line = "incidents: a panic report is pending but could not be stored (error " + storeError.toString() + ")";
    } else {
      buf.fill(0);
      e = dev.write(fsEnd, AREA_SECTORS, buf.dataStart);
      if (e >= 0) e = dev.flush();
      line = "incidents: the last boot ended in a kernel panic (" + incident.kind + "): report in " + path +
        (e < 0 ? " (error clearing the reserved area: " + e.toString() + ")" : "");
    }
  }
  incidentAreaSector = <i64>fsEnd;
  return line;
}
