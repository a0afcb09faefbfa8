// Test entry for the profiler: profctl and kernel/prof/ on a tmpfs root, the samples planted
// by the test through the Node platform's prof_* imports (tests/host/platform.ts).
import { consoleShell } from "../../../kernel/shell/shell";
import * as vfs from "../../../kernel/fs/vfs";
import { TmpFs } from "../../../kernel/fs/tmpfs";
import { parseSymbols } from "../../../kernel/prof/symbols";
import "../../../kernel/shell/commands/help";
import "../../../kernel/shell/commands/fs_nav";
import "../../../kernel/shell/commands/fs_read";
import "../../../kernel/shell/commands/fs_write";
import "../../../kernel/shell/commands/profctl";

export function mountTmpRoot(): void {
  const root = new TmpFs();
  vfs.mount(root, "/");
  root.mkdir(root.rootIno(), "boot", 0o755);
}
export function shellRun(line: string): i32 { return consoleShell.execute(line); }
/** Writes text to a file (the symbol table a test wants). */
export function writeText(path: string, text: string): i32 {
  const b = String.UTF8.encode(text, false);
  const fd = vfs.open(path, vfs.O_WRONLY | vfs.O_CREAT | vfs.O_TRUNC);
  if (fd < 0) return fd;
  const n = vfs.write(fd, changetype<usize>(b), <u32>b.byteLength);
  vfs.close(fd);
  return <i32>n;
}
/** lookup through a parsed table: "" when refused */
export function symbolLookup(text: string, rva: u32): string {
  const t = parseSymbols(text);
  return t == null ? "<refused>" : t.lookup(rva);
}
