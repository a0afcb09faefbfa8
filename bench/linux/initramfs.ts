// The Linux guest of `make bench-linux`: Debian's kernel and busybox unpacked by fetch.sh,
// our iobench helper, and an initramfs (a gzip'd "newc" cpio archive written here, no cpio
// tool needed) whose /init loads the modules SIS's workloads need and opens a shell prompt.
//
// modules.dep is made by depmod when a kernel is installed, so the unpacked package has none:
// the load order comes from each module's own .modinfo (`depends=` and `softdep=pre:`).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

export const LINUX_PROMPT = "linux> ";
/** What SIS's bench workloads touch: virtio-mmio, virtio-blk, ext4 with its journal and checksums. */
export const WANTED_MODULES = ["virtio_mmio", "virtio_blk", "ext4"];

export interface CpioEntry { name: string; mode: number; data?: Buffer; target?: string }

/** A "newc" cpio archive (the initramfs format), ending with the TRAILER!!! entry. */
export function cpioNewc(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  const all = [...entries, { name: "TRAILER!!!", mode: 0 }];
  all.forEach((e, i) => {
    const body = e.target !== undefined ? Buffer.from(e.target) : e.data ?? Buffer.alloc(0);
    const name = Buffer.from(e.name + "\0");
    const hex = (v: number) => v.toString(16).padStart(8, "0");
    const fields = [i + 1, e.mode, 0, 0, (e.mode & 0o170000) === 0o040000 ? 2 : 1, 0, body.length, 0, 0, 0, 0, name.length, 0];
    const header = Buffer.from("070701" + fields.map(hex).join(""));
    parts.push(header, name, pad(header.length + name.length), body, pad(body.length));
  });
  return Buffer.concat(parts);
}

/** `key=value` strings of a module's .modinfo section (read from the raw file). */
export function modinfo(ko: Buffer, key: string): string[] {
  const out: string[] = [];
  const needle = Buffer.from(key + "=");
  for (let at = ko.indexOf(needle); at >= 0; at = ko.indexOf(needle, at + 1)) {
    if (at > 0 && ko[at - 1] !== 0) continue; // inside another string
    const end = ko.indexOf(0, at);
    out.push(ko.subarray(at + needle.length, end).toString());
  }
  return out;
}

/**
 * Load order for `wanted`: dependencies first. `find(name)` returns a module's bytes or null;
 * a soft dependency "crypto-crc32c" is the module providing that alias (crc32c_generic).
 */
export function loadOrder(wanted: string[], find: (name: string) => Buffer | null): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (order.includes(name) || visiting.has(name)) return;
    const ko = find(name);
    if (!ko) throw new Error(`module ${name} not found`);
    visiting.add(name);
    const deps = modinfo(ko, "depends").flatMap((d) => d.split(",")).filter(Boolean);
    const soft = modinfo(ko, "softdep").flatMap((s) => s.replace(/^pre:\s*/, "").split(/\s+/)).filter(Boolean)
      .map((alias) => alias.replace(/^crypto-/, "") + "_generic").filter((n) => find(n) !== null);
    [...soft, ...deps].forEach(visit);
    order.push(name);
  };
  wanted.forEach(visit);
  return order;
}

export interface LinuxGuest { kernel: string; initrd: string; version: string; modules: string[] }

const INIT = (modules: string[]) => `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
for m in ${modules.join(" ")}; do insmod /lib/modules/$m.ko || echo "error: insmod $m failed"; done
export PS1='${LINUX_PROMPT}'
exec setsid cttyhack sh
`;

/** Fetches (bench/linux/fetch.sh), builds iobench and the initramfs under build/linux/. */
export function prepareLinuxGuest(root: string): LinuxGuest {
  const dir = path.join(root, "build/linux");
  execFileSync(path.join(root, "bench/linux/fetch.sh"), [dir], { stdio: ["ignore", "inherit", "inherit"] });
  const unpacked = path.join(dir, "root");
  const version = fs.readFileSync(path.join(unpacked, ".unpacked"), "utf8").trim().replace(/^linux-image-/, "");
  const moduleDir = path.join(unpacked, "lib/modules", version, "kernel");
  const index = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith(".ko")) index.set(e.name.slice(0, -3).replace(/-/g, "_"), path.join(d, e.name));
    }
  };
  walk(moduleDir);
  const find = (n: string) => (index.has(n) ? fs.readFileSync(index.get(n)!) : null);
  const modules = loadOrder(WANTED_MODULES, find);

  const helper = path.join(dir, "iobench");
  execFileSync("clang", ["--target=aarch64-linux-gnu", "-ffreestanding", "-nostdlib", "-static", "-fuse-ld=lld", "-O2",
    "-fno-stack-protector", "-Wall", "-o", helper, path.join(root, "bench/linux/iobench.c")], { stdio: "inherit" });

  // the language-model rows' C side: static glibc, -O3 like the run.c anchor of issue 13
  const llmref = path.join(dir, "llmref");
  execFileSync("aarch64-linux-gnu-gcc", ["-O3", "-static", "-Wall", "-o", llmref, path.join(root, "bench/linux/llmref.c"), "-lm"], { stdio: "inherit" });

  const entries: CpioEntry[] = ["bin", "dev", "proc", "sys", "mnt", "llm", "lib", "lib/modules"].map((n) => ({ name: n, mode: 0o040755 }));
  entries.push({ name: "bin/busybox", mode: 0o100755, data: fs.readFileSync(path.join(unpacked, "bin/busybox")) });
  entries.push({ name: "bin/sh", mode: 0o120777, target: "busybox" });
  entries.push({ name: "bin/iobench", mode: 0o100755, data: fs.readFileSync(helper) });
  // the process benchmark and the program it starts, the very files SIS has on its disk (make image)
  for (const prog of ["procbench", "hello"]) {
    entries.push({ name: `bin/${prog}`, mode: 0o100755, data: fs.readFileSync(path.join(root, "build/userspace", prog)) });
  }
  entries.push({ name: "bin/llmref", mode: 0o100755, data: fs.readFileSync(llmref) });
  for (const m of modules) entries.push({ name: `lib/modules/${m}.ko`, mode: 0o100644, data: find(m)! });
  entries.push({ name: "init", mode: 0o100755, data: Buffer.from(INIT(modules)) });
  const initrd = path.join(dir, "initramfs.cpio.gz");
  fs.writeFileSync(initrd, zlib.gzipSync(cpioNewc(entries)));
  return { kernel: path.join(unpacked, "boot", `vmlinuz-${version}`), initrd, version, modules };
}
