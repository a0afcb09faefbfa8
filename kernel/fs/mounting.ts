// Mounting by name: `mount vdb /mnt`, `mount -t tmpfs tmpfs /tmp`, and the root at boot.
//
// At boot: vda holds ext4 -> mounted at "/" (a tmpfs on /tmp when the disk has a /tmp);
// no vda, or vda unusable -> a tmpfs root with /tmp and /mnt, and one line saying why.
// Mounting never panics: a corrupt disk is one error line and the system keeps running.
import { BlockDevice, findBlockDevice } from "../block/device";
import { println } from "../platform/console";
import { nowUs } from "../platform/time";
import { ENODEV, EBUSY, EINVAL, errorMessage } from "../lib/errors";
import { FileSystem, Stat, isDir } from "./types";
import { TmpFs } from "./tmpfs";
import { Ext4Fs } from "./ext4/fs";
import { mountExt4, probeExt4 } from "./ext4/mount";
import * as vfs from "./vfs";

export class MountOutcome {
  error: i32 = 0;
  /** One line for the user: what was mounted, or why not. */
  message: string = "";
  /** Further lines (read-only reasons, journal replay). */
  notes: Array<string> = new Array<string>(0);
  fs: FileSystem | null = null;
}

function outcomeError(o: MountOutcome, code: i32, message: string): MountOutcome {
  o.error = code;
  o.message = message;
  return o;
}

/** Mounts a block device (ext2/3/4) or "tmpfs" at path. type "" = detect. */
export function mountSource(source: string, path: string, type: string, readOnly: bool): MountOutcome {
  const o = new MountOutcome();
  if (type == "tmpfs" || (type.length == 0 && source == "tmpfs")) {
    const fs = new TmpFs();
    const e = vfs.mount(fs, path);
    if (e < 0) return outcomeError(o, e, "cannot mount tmpfs on " + path + ": " + errorMessage(e));
    o.fs = fs;
    o.message = "tmpfs on " + path;
    return o;
  }
  if (type.length > 0 && type != "ext4" && type != "ext3" && type != "ext2") {
    return outcomeError(o, -EINVAL, "unknown file system type '" + type + "' (ext4, ext3, ext2, tmpfs)");
  }
  const device = findBlockDevice(source);
  if (device == null) return outcomeError(o, -ENODEV, "no block device '" + source + "'");
  if (device.mountedAt.length > 0) return outcomeError(o, -EBUSY, device.name + " is already mounted on " + device.mountedAt);
  // the mount point must exist before the device is touched (not needed for the first root)
  if (vfs.mountTable().length > 0) {
    const st = new Stat();
    const e = vfs.stat(path, true, st);
    if (e < 0) return outcomeError(o, e, path + ": " + errorMessage(e));
    if (!isDir(st.mode)) return outcomeError(o, -EINVAL, path + ": not a directory");
  }
  if (!probeExt4(device)) return outcomeError(o, -EINVAL, device.name + ": no ext2/3/4 file system found");
  const started = nowUs();
  const r = mountExt4(device, readOnly);
  if (r.fs == null) return outcomeError(o, r.error, device.name + ": " + r.message);
  const fs = r.fs!;
  const e = vfs.mount(fs, path);
  if (e < 0) {
    fs.unmount();
    return outcomeError(o, e, "cannot mount " + device.name + " on " + path + ": " + errorMessage(e));
  }
  device.mountedAt = vfs.mountTable()[vfs.mountTable().length - 1].path;
  o.fs = fs;
  o.notes = fs.notes;
  const sb = fs.vol.sb;
  o.message = device.name + " on " + device.mountedAt + ": " + fs.typeName + ", " + (sb.blockSize / 1024).toString() +
    " KiB blocks, " + (sb.blocksCount * <u64>sb.blockSize / (1 << 20)).toString() + " MiB" +
    (fs.readOnly ? ", read-only" : "") + " (" + ((nowUs() - started) / 1000).toString() + " ms)";
  return o;
}

/** How often the kernel task "fscommit" (registered by kernel/init.ts) runs vfs.pollFileSystems(): each journal's 5 s commit timer. */
export const COMMIT_CHECK_US: u64 = 250_000;

/** Boot: the system disk at "/", or a tmpfs root. Prints one banner line (plus notes). */
export function mountRootAtBoot(): void {
  const device = findBlockDevice("vda");
  let reason = "";
  if (device == null) {
    reason = "no disk vda";
  } else if (!probeExt4(device!)) {
    reason = "vda holds no ext4 file system";
  } else {
    const o = mountSource("vda", "/", "", false);
    if (o.error == 0) {
      println("  disk:     " + o.message);
      for (let i = 0; i < o.notes.length; i++) println("            " + o.notes[i]);
      const st = new Stat();
      if (vfs.stat("/tmp", true, st) == 0 && isDir(st.mode)) vfs.mount(new TmpFs(), "/tmp");
      return;
    }
    println("error: mounting vda: " + o.message);
    reason = "vda could not be mounted";
  }
  const root = new TmpFs();
  vfs.mount(root, "/");
  root.mkdir(root.rootIno(), "tmp", 0o1777);
  root.mkdir(root.rootIno(), "mnt", 0o755);
  println("  disk:     " + reason + ": root is a tmpfs in RAM (" + ((<u64>root.limitBytes) >> 20).toString() + " MiB)");
}

export function isExt4(fs: FileSystem): bool {
  return fs instanceof Ext4Fs;
}
