// The kernel's dependency order, checked: every import in kernel/**/*.ts must point at the
// same layer or a lower one. `make test-unit` runs it (tests/unit/toolchain/layers.test.ts);
// `tsx toolchain/layers.ts` prints the violations.
//
//   0  lib/, platform/ (and the kernel-wide kernel_loop.ts, version.ts)
//   1  mm/
//   2  block/, drivers/
//   3  fs/, sched/
//   4  ai/
//   5  llm/, net/, proc/, prof/ (one level above ai, below the shell)
//   6  shell/
//   7  init.ts, main.ts (the wiring: kernel/init.ts ties the layers together)
// (ai/trace.ts, the decision trace, is placed at layer 3, net/nic.ts, the network-card
// interface, at layer 2: FILE_LAYERS below.)
//
// Cross-layer wiring that a lower layer would otherwise do itself (a periodic task of mm/
// run by sched/, the AI file hooks served by fs/) is registered from kernel/init.ts.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const LAYERS: Record<string, number> = {
  lib: 0, platform: 0, "kernel_loop.ts": 0, "version.ts": 0,
  mm: 1,
  block: 2, drivers: 2,
  fs: 3, sched: 3,
  ai: 4,
  llm: 5, net: 5, proc: 5, prof: 5,
  shell: 6,
  "init.ts": 7, "main.ts": 7,
};

/**
 * Files placed below their folder: the decision trace ring (ai/trace.ts) imports only
 * platform/time, and the scheduler records its policy switches in it; the network-card
 * interface (net/nic.ts) imports nothing and is what drivers/virtio/net.ts implements, as
 * block/device.ts is for the disks.
 */
const FILE_LAYERS: Record<string, number> = { "ai/trace.ts": 3, "ai/trace": 3, "net/nic.ts": 2, "net/nic": 2 };

/** Layer of a path relative to kernel/ ("mm/pages.ts" -> 1); -1 when unknown. */
export function layerOf(rel: string): number {
  if (rel in FILE_LAYERS) return FILE_LAYERS[rel];
  const first = rel.split("/")[0];
  return first in LAYERS ? LAYERS[first] : -1;
}

/** The module specifiers a source imports (import ... from, import "x", export ... from). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const re = /^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?["']([^"']+)["']/gm;
  for (let m = re.exec(source); m != null; m = re.exec(source)) out.push(m[1]);
  return out;
}

export interface Violation { file: string; imports: string; fromLayer: number; toLayer: number; }

/**
 * Violations in a set of kernel sources (paths relative to kernel/ -> source text): imports
 * that point up the order, and files in no known layer.
 */
export function layerViolations(files: Map<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const [file, source] of files) {
    const from = layerOf(file);
    if (from < 0) {
      out.push({ file, imports: "(this file is in no layer: add its folder to toolchain/layers.ts)", fromLayer: -1, toLayer: -1 });
      continue;
    }
    for (const spec of importsOf(source)) {
      if (!spec.startsWith(".")) continue; // AssemblyScript's std library
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      if (target.startsWith("..")) continue; // outside kernel/
      const to = layerOf(target);
      if (to > from) out.push({ file, imports: target, fromLayer: from, toLayer: to });
    }
  }
  return out;
}

/** Every kernel/**\/*.ts, relative to kernel/, with its source. */
export function kernelFiles(root = ROOT): Map<string, string> {
  const base = path.join(root, "kernel");
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith(".ts")) files.set(path.relative(base, full).split(path.sep).join("/"), fs.readFileSync(full, "utf8"));
    }
  };
  walk(base);
  return files;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const v = layerViolations(kernelFiles());
  for (const x of v) console.log(`${x.file} (layer ${x.fromLayer}) imports ${x.imports} (layer ${x.toLayer})`);
  console.log(v.length === 0 ? "layers: no import points up the order" : `layers: ${v.length} violation(s)`);
  process.exit(v.length === 0 ? 0 : 1);
}
