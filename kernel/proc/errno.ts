// Linux errno values the system calls return (negated) beyond kernel/lib/errors.ts.
export {
  EPERM, ENOENT, EIO, EBADF, EAGAIN, ENOMEM, EFAULT, EBUSY, EEXIST, EXDEV, ENODEV, ENOTDIR, EISDIR, EINVAL,
  EMFILE, EFBIG, ENOSPC, EROFS, EMLINK, ERANGE, ENAMETOOLONG, ENOSYS, ENOTEMPTY, ELOOP,
} from "../lib/errors";
export const ESRCH: i32 = 3;
export const EINTR: i32 = 4;
export const E2BIG: i32 = 7;
export const ENOEXEC: i32 = 8;
export const ECHILD: i32 = 10;
export const EACCES: i32 = 13;
export const ENOTTY: i32 = 25;
export const ESPIPE: i32 = 29;
export const EPIPE: i32 = 32;
