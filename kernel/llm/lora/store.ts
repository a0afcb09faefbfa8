// Atomic file replacement for adapters (and merged models): write NAME.tmp, fsync, rename
// over NAME. ext4's rename is one journaled transaction, so after a power cut the path holds
// the old file or the new one, never a mix. Any failure (full disk, read-only, missing
// directory) removes the temporary file and leaves the old file untouched.
import * as vfs from "../../fs/vfs";
import { errorMessage } from "../../lib/errors";

/** Writes `bytes` to path atomically; "" or a one-line reason. */
export function writeFileAtomic(path: string, bytes: Uint8Array): string {
  const tmp = path + ".tmp";
  const fd = vfs.open(tmp, vfs.O_WRONLY | vfs.O_CREAT | vfs.O_TRUNC, 0o644);
  if (fd < 0) return tmp + ": " + errorMessage(<i32>-fd);
  let done = 0;
  const n = bytes.length;
  while (done < n) {
    const chunk = n - done < 1048576 ? n - done : 1048576;
    const w = vfs.write(fd, bytes.dataStart + <usize>done, <u32>chunk);
    if (w <= 0) {
      vfs.close(fd);
      vfs.removeFile(tmp);
      return path + ": write failed: " + (w < 0 ? errorMessage(<i32>-w) : "no progress") + " (nothing saved)";
    }
    done += <i32>w;
  }
  const s = vfs.fsync(fd);
  vfs.close(fd);
  if (s < 0) { vfs.removeFile(tmp); return path + ": fsync failed: " + errorMessage(-s) + " (nothing saved)"; }
  const r = vfs.rename(tmp, path);
  if (r < 0) { vfs.removeFile(tmp); return path + ": rename failed: " + errorMessage(-r) + " (nothing saved)"; }
  return "";
}
