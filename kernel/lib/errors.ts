// Error codes shared by every subsystem. Functions that can fail return 0 (or a value >= 0)
// on success and one of these, negated, on failure; errorMessage() gives the one-line text.
// The numbers follow Linux errno so that traces and tests read naturally.

export const OK: i32 = 0;
export const EPERM: i32 = 1;
export const ENOENT: i32 = 2;
export const EIO: i32 = 5;
export const EBADF: i32 = 9;
export const EAGAIN: i32 = 11;
export const ENOMEM: i32 = 12;
export const EFAULT: i32 = 14;
export const EBUSY: i32 = 16;
export const EEXIST: i32 = 17;
export const EXDEV: i32 = 18;
export const ENODEV: i32 = 19;
export const ENOTDIR: i32 = 20;
export const EISDIR: i32 = 21;
export const EINVAL: i32 = 22;
export const EMFILE: i32 = 24;
export const EFBIG: i32 = 27;
export const ENOSPC: i32 = 28;
export const EROFS: i32 = 30;
export const EMLINK: i32 = 31;
export const ERANGE: i32 = 34;
export const ENAMETOOLONG: i32 = 36;
export const ENOSYS: i32 = 38;
export const ENOTEMPTY: i32 = 39;
export const ELOOP: i32 = 40;
export const ENODATA: i32 = 61;
export const EOVERFLOW: i32 = 75;
export const EBADMSG: i32 = 74;
export const EOPNOTSUPP: i32 = 95;
export const ETIMEDOUT: i32 = 110;
export const EUCLEAN: i32 = 117; // structure needs cleaning (corrupt metadata)

export function errorMessage(code: i32): string {
  const c = code < 0 ? -code : code;
  switch (c) {
    case 0: return "success";
    case EPERM: return "operation not permitted";
    case ENOENT: return "no such file or directory";
    case EIO: return "input/output error";
    case EBADF: return "bad file handle";
    case EAGAIN: return "resource temporarily unavailable";
    case ENOMEM: return "out of memory";
    case EFAULT: return "bad address";
    case EBUSY: return "device or resource busy";
    case EEXIST: return "file exists";
    case EXDEV: return "cross-device link";
    case ENODEV: return "no such device";
    case ENOTDIR: return "not a directory";
    case EISDIR: return "is a directory";
    case EINVAL: return "invalid argument";
    case EMFILE: return "too many open files";
    case EFBIG: return "file too large";
    case ENOSPC: return "no space left on device";
    case EROFS: return "read-only file system";
    case EMLINK: return "too many links";
    case ERANGE: return "result out of range";
    case ENAMETOOLONG: return "file name too long";
    case ENOSYS: return "function not implemented";
    case ENOTEMPTY: return "directory not empty";
    case ELOOP: return "too many levels of symbolic links";
    case ENODATA: return "no data available";
    case EOVERFLOW: return "value too large";
    case EBADMSG: return "bad message (checksum mismatch)";
    case EOPNOTSUPP: return "operation not supported";
    case ETIMEDOUT: return "timed out";
    case EUCLEAN: return "structure needs cleaning (corrupt metadata)";
    default: return "error " + c.toString();
  }
}
