// Where exported AI data (decision traces as JSON) is written: a minimal writeFile seam.
//
// kernel/ai does not depend on the VFS: kernel/fs/mounting.ts registers its writer with
// setFileWriter() once the root (ext4 on vda, or a tmpfs) is mounted, and
// `tracectl export --path FILE` and `crashctl save` write through it. Until then writeFile()
// refuses with -ENODEV and fileSinkError() explains: "no file system mounted yet".
import { ENODEV, errorMessage } from "../lib/errors";

/** Writes `data` (as UTF-8) to `path`, replacing the file; returns bytes written or a negative error. */
export type FileWriter = (path: string, data: string) => i32;

let writer: FileWriter | null = null;

export function setFileWriter(w: FileWriter | null): void {
  writer = w;
}

export function hasFileWriter(): bool {
  return writer != null;
}

export function writeFile(path: string, data: string): i32 {
  if (writer == null) return -ENODEV;
  return writer!(path, data);
}

/** The one-line reason for a failed writeFile() result. */
export function fileSinkError(code: i32): string {
  if (code == -ENODEV && writer == null) return "no file system mounted yet";
  return errorMessage(code);
}
