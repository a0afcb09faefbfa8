// The file-system interface: what the VFS (kernel/fs/vfs.ts) sees of tmpfs, ext4 and any
// later file system.
//
// Files are named by inode number (u64, never 0) inside one FileSystem; the VFS pairs them
// with the mount. Every method returns a value >= 0 or a negative error code from
// kernel/lib/errors.ts; a corrupt disk is an error (EUCLEAN, EBADMSG for a checksum, EIO),
// never a trap. When an error has more to say ("inode 12: checksum mismatch"), the file
// system calls setErrorDetail() and the shell prints it after the message.
//
// Names are JavaScript strings here; a file system stores them as UTF-8 bytes.
import { EROFS } from "../lib/errors";

// ---- mode bits (as in POSIX / ext4 i_mode) ----
export const S_IFMT: u32 = 0xf000;
export const S_IFSOCK: u32 = 0xc000;
export const S_IFLNK: u32 = 0xa000;
export const S_IFREG: u32 = 0x8000;
export const S_IFBLK: u32 = 0x6000;
export const S_IFDIR: u32 = 0x4000;
export const S_IFCHR: u32 = 0x2000;
export const S_IFIFO: u32 = 0x1000;

// ---- directory entry types (ext4's file_type byte) ----
export const DT_UNKNOWN: u8 = 0;
export const DT_REG: u8 = 1;
export const DT_DIR: u8 = 2;
export const DT_CHR: u8 = 3;
export const DT_BLK: u8 = 4;
export const DT_FIFO: u8 = 5;
export const DT_SOCK: u8 = 6;
export const DT_LNK: u8 = 7;

export const NAME_MAX: i32 = 255;
export const PATH_MAX: i32 = 4096;
export const SYMLINK_MAX: i32 = 4095;

export function isDir(mode: u32): bool { return (mode & S_IFMT) == S_IFDIR; }
export function isReg(mode: u32): bool { return (mode & S_IFMT) == S_IFREG; }
export function isLink(mode: u32): bool { return (mode & S_IFMT) == S_IFLNK; }

export function dirTypeOfMode(mode: u32): u8 {
  switch (mode & S_IFMT) {
    case S_IFREG: return DT_REG;
    case S_IFDIR: return DT_DIR;
    case S_IFCHR: return DT_CHR;
    case S_IFBLK: return DT_BLK;
    case S_IFIFO: return DT_FIFO;
    case S_IFSOCK: return DT_SOCK;
    case S_IFLNK: return DT_LNK;
    default: return DT_UNKNOWN;
  }
}

/** One letter for `ls -l`: - d l c b p s ?. */
export function typeLetter(mode: u32): string {
  switch (mode & S_IFMT) {
    case S_IFREG: return "-";
    case S_IFDIR: return "d";
    case S_IFLNK: return "l";
    case S_IFCHR: return "c";
    case S_IFBLK: return "b";
    case S_IFIFO: return "p";
    case S_IFSOCK: return "s";
    default: return "?";
  }
}

export function typeName(mode: u32): string {
  switch (mode & S_IFMT) {
    case S_IFREG: return "regular file";
    case S_IFDIR: return "directory";
    case S_IFLNK: return "symbolic link";
    case S_IFCHR: return "character device";
    case S_IFBLK: return "block device";
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "socket";
    default: return "unknown type";
  }
}

/** rwxr-xr-x with setuid/setgid/sticky letters. */
export function permissionString(mode: u32): string {
  let s = "";
  const letters = "rwxrwxrwx";
  for (let i = 0; i < 9; i++) s += (mode & (<u32>1 << (8 - i))) != 0 ? letters.charAt(i) : "-";
  if ((mode & 0x800) != 0) s = s.substring(0, 2) + ((mode & 0x40) != 0 ? "s" : "S") + s.substring(3);
  if ((mode & 0x400) != 0) s = s.substring(0, 5) + ((mode & 0x8) != 0 ? "s" : "S") + s.substring(6);
  if ((mode & 0x200) != 0) s = s.substring(0, 8) + ((mode & 0x1) != 0 ? "t" : "T");
  return s;
}

export class Stat {
  /** The file system holding it (FileSystem.id; set by vfs.stat): (dev, ino) names one file. */
  dev: u32 = 0;
  ino: u64 = 0;
  mode: u32 = 0;
  nlink: u32 = 0;
  uid: u32 = 0;
  gid: u32 = 0;
  size: u64 = 0;
  /** Space used, in 512-byte units. */
  blocks: u64 = 0;
  blockSize: u32 = 0;
  atime: i64 = 0;
  atimeNs: u32 = 0;
  mtime: i64 = 0;
  mtimeNs: u32 = 0;
  ctime: i64 = 0;
  ctimeNs: u32 = 0;
  crtime: i64 = 0;
  crtimeNs: u32 = 0;
  rdevMajor: u32 = 0;
  rdevMinor: u32 = 0;
  /** File-system specific inode flags (ext4 i_flags). */
  flags: u32 = 0;
  generation: u32 = 0;
}

export class DirEntry {
  name: string = "";
  ino: u64 = 0;
  type: u8 = DT_UNKNOWN;
}

export class FsStats {
  typeName: string = "";
  label: string = "";
  blockSize: u32 = 0;
  totalBlocks: u64 = 0;
  freeBlocks: u64 = 0;
  /** Free blocks an ordinary user may use (free minus the reserve). */
  availableBlocks: u64 = 0;
  totalInodes: u64 = 0;
  freeInodes: u64 = 0;
}

/** Set-attribute request: fields with their `set` flag on are changed. */
export class AttrChange {
  setMode: bool = false;
  mode: u32 = 0;
  setAtime: bool = false;
  atime: i64 = 0;
  setMtime: bool = false;
  mtime: i64 = 0;
}

let errorDetail: string = "";

/** A file system explains its last error ("inode 12: extent header checksum mismatch"). */
export function setErrorDetail(detail: string): void {
  errorDetail = detail;
}

/** The detail of the last error, cleared by the call. */
export function takeErrorDetail(): string {
  const d = errorDetail;
  errorDetail = "";
  return d;
}

let nextFileSystemId: u32 = 1;

export abstract class FileSystem {
  /** Unique per mounted instance: Stat.dev. */
  id: u32 = nextFileSystemId++;
  /** "ext4", "ext3", "ext2", "tmpfs". */
  typeName: string = "";
  readOnly: bool = false;
  /** Where it came from: a device name or "tmpfs". */
  source: string = "";

  abstract rootIno(): u64;
  /** Inode of `name` in directory `dir`, or a negative error (ENOENT, ENOTDIR...). */
  abstract lookup(dir: u64, name: string): i64;
  abstract stat(ino: u64, out: Stat): i32;
  /** Reads up to `length` bytes at `offset`; returns the count (0 at end of file). */
  abstract read(ino: u64, offset: u64, buffer: usize, length: u32): i64;
  /**
   * Reads the directory entry at `cursor` (0 = start) into `out`; returns the cursor of the
   * next entry (> 0), 0 at the end, or a negative error. "." and ".." are included.
   */
  abstract readDir(dir: u64, cursor: u64, out: DirEntry): i64;
  /** Copies the target of a symbolic link (UTF-8) into buffer; returns its length. */
  abstract readLink(ino: u64, buffer: usize, capacity: u32): i64;
  abstract statfs(out: FsStats): i32;
  /** Writes everything back and detaches from the device. */
  abstract unmount(): i32;

  // ---- the write side: read-only file systems keep these defaults ----
  create(dir: u64, name: string, mode: u32): i64 { return -EROFS; }
  mkdir(dir: u64, name: string, mode: u32): i64 { return -EROFS; }
  symlink(dir: u64, name: string, target: string): i64 { return -EROFS; }
  link(dir: u64, name: string, ino: u64): i32 { return -EROFS; }
  unlink(dir: u64, name: string): i32 { return -EROFS; }
  rmdir(dir: u64, name: string): i32 { return -EROFS; }
  /** Moves dir/name to newDir/newName, replacing a compatible existing target. */
  rename(dir: u64, name: string, newDir: u64, newName: string): i32 { return -EROFS; }
  write(ino: u64, offset: u64, buffer: usize, length: u32): i64 { return -EROFS; }
  truncate(ino: u64, size: u64): i32 { return -EROFS; }
  setAttr(ino: u64, change: AttrChange): i32 { return -EROFS; }
  /** Makes everything written so far durable. */
  sync(): i32 { return 0; }
  /** Makes one file durable (and whatever the file system must write with it). */
  fsync(ino: u64): i32 { return this.sync(); }
  /** An open handle refers to ino: its inode stays alive after its last unlink until close. */
  openRef(ino: u64): void {}
  closeRef(ino: u64): void {}
  /** Work the file system does from the event loop (periodic commit). */
  poll(): void {}
}
