// /api/files: the dashboard's file manager on the system disk (Bearer token, as /api/shell).
//   GET    /api/files?path=P   a directory: {"path","entries":[{"name","type","size"}]} (type
//                              "dir" | "file" | "link" | "other"); a file: its bytes
//                              (application/octet-stream), at most MAX_FILE_BYTES
//   PUT    /api/files?path=P   body = the new contents (create or replace, then fsync)
//   DELETE /api/files?path=P   removes a file or an empty directory
//   POST   /api/files?path=P&op=mkdir   makes a directory
// P is percent-encoded UTF-8. Refused with 400 and one JSON "error" line: not absolute, a ".."
// or empty segment, a NUL, over MAX_PATH bytes, or on another mount than "/" (the system disk:
// /tmp is RAM). Errors of the file system come back as 404/409/507 with errorMessage().
import { HttpRequest, HttpResponse } from "./http";
import * as vfs from "../fs/vfs";
import { Stat, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK } from "../fs/types";
import { errorMessage, ENOENT, EEXIST, ENOTEMPTY, ENOSPC, EISDIR, ENOTDIR } from "../lib/errors";
import { jsonString } from "../lib/json_string";

export const MAX_FILE_BYTES: u64 = 4 << 20;
export const MAX_PATH: i32 = 1024;

function hexValue(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Percent-decoding (and '+' as space) into UTF-8 text; null when malformed. */
export function percentDecode(s: string): string | null {
  const out = new Uint8Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 37) {
      if (i + 2 >= s.length) return null;
      const h = hexValue(s.charCodeAt(i + 1)), l = hexValue(s.charCodeAt(i + 2));
      if (h < 0 || l < 0) return null;
      out[n++] = <u8>(h * 16 + l);
      i += 2;
    } else if (c == 43) {
      out[n++] = 32;
    } else if (c < 128) {
      out[n++] = <u8>c;
    } else {
      return null;
    }
  }
  return String.UTF8.decode(out.subarray(0, n).slice().buffer);
}

/** "" when `path` is acceptable, else why not. */
export function pathProblem(path: string): string {
  if (path.length == 0 || path.charCodeAt(0) != 47) return "path must be absolute";
  if (String.UTF8.byteLength(path) > MAX_PATH) return "path longer than " + MAX_PATH.toString() + " bytes";
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) == 0 || path.charCodeAt(i) == 0xfffd) return "path has a NUL or invalid UTF-8";
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) {
    if (parts[i] == "..") return "'..' is not allowed: paths stay on the system disk";
    if (parts[i].length == 0 && i < parts.length - 1) return "empty path segment";
  }
  // a file that does not exist yet belongs to its directory's mount
  let m = vfs.mountOf(path);
  if (m == null) {
    const slash = path.lastIndexOf("/");
    m = vfs.mountOf(slash <= 0 ? "/" : path.substring(0, slash));
  }
  if (m == null || m!.path != "/") return "not on the system disk (mounted at " + (m == null ? "?" : m!.path) + ")";
  return "";
}

function fail(status: i32, message: string): HttpResponse {
  return HttpResponse.json(status, "{\"error\":" + jsonString(message) + "}");
}

function fsFail(code: i32, path: string): HttpResponse {
  const status = code == -ENOENT || code == -ENOTDIR ? 404 : code == -ENOSPC ? 507 :
    code == -EEXIST || code == -ENOTEMPTY || code == -EISDIR ? 409 : 500;
  return fail(status, path + ": " + errorMessage(code));
}

function typeName(mode: u32): string {
  const t = mode & S_IFMT;
  return t == S_IFDIR ? "dir" : t == S_IFREG ? "file" : t == S_IFLNK ? "link" : "other";
}

function listing(path: string): HttpResponse {
  const entries = vfs.listDirectory(path);
  if (entries == null) return fail(500, path + ": cannot list");
  const st = new Stat();
  let s = "";
  let n = 0;
  for (let i = 0; i < entries!.length; i++) {
    const name = entries![i].name;
    if (name == "." || name == "..") continue;
    const full = (path.endsWith("/") ? path : path + "/") + name;
    const e = vfs.stat(full, false, st);
    s += (n++ > 0 ? "," : "") + "{\"name\":" + jsonString(name) + ",\"type\":" + jsonString(e < 0 ? "other" : typeName(st.mode)) +
      ",\"size\":" + (e < 0 ? "0" : st.size.toString()) + "}";
  }
  return HttpResponse.json(200, "{\"path\":" + jsonString(path) + ",\"entries\":[" + s + "]}");
}

function readWhole(path: string, st: Stat): HttpResponse {
  if (st.size > MAX_FILE_BYTES) return fail(413, path + ": larger than " + MAX_FILE_BYTES.toString() + " bytes");
  const fd = vfs.open(path, vfs.O_RDONLY);
  if (fd < 0) return fsFail(fd, path);
  const buf = new Uint8Array(<i32>st.size);
  let done: i32 = 0;
  while (done < buf.length) {
    const n = vfs.read(fd, buf.dataStart + <usize>done, <u32>(buf.length - done));
    if (n < 0) {
      vfs.close(fd);
      return fsFail(<i32>n, path);
    }
    if (n == 0) break;
    done += <i32>n;
  }
  vfs.close(fd);
  return new HttpResponse(200, "application/octet-stream", done == buf.length ? buf : buf.subarray(0, done).slice());
}

function put(path: string, body: Uint8Array): HttpResponse {
  const fd = vfs.open(path, vfs.O_WRONLY | vfs.O_CREAT | vfs.O_TRUNC, 0o644);
  if (fd < 0) return fsFail(fd, path);
  if (body.length > 0) {
    const n = vfs.write(fd, body.dataStart, <u32>body.length);
    if (n < 0 || n < body.length) {
      vfs.close(fd);
      return fsFail(n < 0 ? <i32>n : -ENOSPC, path);
    }
  }
  const e = vfs.fsync(fd);
  vfs.close(fd);
  if (e < 0) return fsFail(e, path);
  return HttpResponse.json(200, "{\"path\":" + jsonString(path) + ",\"bytes\":" + body.length.toString() + "}");
}

export function handleFiles(req: HttpRequest): HttpResponse {
  const decoded = percentDecode(req.queryValue("path", ""));
  if (decoded == null) return fail(400, "path is not valid percent-encoded UTF-8");
  let path = decoded!;
  if (path.length > 1 && path.endsWith("/")) path = path.substring(0, path.length - 1);
  const problem = pathProblem(path);
  if (problem.length > 0) return fail(400, problem);
  const st = new Stat();
  if (req.method == "GET") {
    const e = vfs.stat(path, true, st);
    if (e < 0) return fsFail(e, path);
    return (st.mode & S_IFMT) == S_IFDIR ? listing(path) : readWhole(path, st);
  }
  if (req.method == "PUT") return put(path, req.body);
  if (req.method == "DELETE") {
    if (path == "/") return fail(400, "the root cannot be removed");
    const e = vfs.stat(path, false, st);
    if (e < 0) return fsFail(e, path);
    const r = (st.mode & S_IFMT) == S_IFDIR ? vfs.removeDirectory(path) : vfs.removeFile(path);
    if (r < 0) return fsFail(r, path);
    return HttpResponse.json(200, "{\"removed\":" + jsonString(path) + "}");
  }
  if (req.method == "POST" && req.queryValue("op", "") == "mkdir") {
    const r = vfs.makeDirectory(path, 0o755);
    if (r < 0) return fsFail(r, path);
    return HttpResponse.json(200, "{\"created\":" + jsonString(path) + "}");
  }
  return fail(405, "use GET, PUT, DELETE or POST ?op=mkdir");
}
