// Hostile input in QEMU: seeded random command lines (every command of `help`, with arguments
// drawn from a pool of bad numbers, odd paths, unknown flags, long and non-ASCII words; then
// every subcommand and option each command's --help names, with bad values) must
// each end with a prompt and never a kernel panic; then file commands with random paths on a
// scratch copy of the system disk, after which `fsctl verify` and, once SIS has powered off,
// `e2fsck -fn` must find the disk consistent. HOSTILE_SEED=N picks other lines; HOSTILE_SHOW=1
// prints each line with the start of its output.
import assert from "node:assert/strict";
import * as path from "node:path";
import { ROOT } from "../../host/qemu.ts";
import { bootForSuite, scratchCopy, powerOffAndFsck } from "./helpers.ts";
import { xorshift32 } from "../host/rng.ts";

const SEED = Number(process.env.HOSTILE_SEED ?? 1);

/** xorshift32 (tests/host/rng.ts): the same seed gives the same command lines. */
function generator(seed: number) {
  const next = xorshift32(seed);
  return { next, pick: <T>(items: T[]): T => items[next() % items.length] };
}

/** Commands left out: they end the session, or run for seconds by design. */
const LEFT_OUT = /^(reboot|poweroff|panic|clear|bench|stresstest)\b|^crashctl (eval|train|run|oracle)|^fsctl stress|^blkctl (bench|sum|write)/;
const ARGUMENTS = ["", "0", "-1", "99999999999999999999", "4294967296", "1e9", "0x10", "NaN", "abc", "-0", "0.5", "1.5",
  "/", "//", "/..", "/tmp", "/tmp/x", "/nope", ".", "..", "/etc", "/models", "/mnt", "/dev/vda", "vda", "vdb", "vdz",
  "--help", "--seed", "--seconds", "--path", "--recent", "--count", "-n", "-s", "-l", "-a", "-p", "-x", "--force",
  "on", "off", "status", "stats", "list", "show", "verify", "journal", "compact", "check", "history", "tmpfs",
  "a".repeat(300), "/" + "b/".repeat(2100), "é", "日本", "\"two words\"", "*", "?", "[", "%s", "\\"];
const FILE_COMMANDS = ["write", "append", "cp", "mv", "rm", "mkdir", "rmdir", "ln", "ln -s", "truncate -s", "touch", "chmod",
  "cat", "ls -l", "stat", "sync", "readlink", "sha256sum", "cd", "rm -r", "mkdir -p"];
const FILE_PATHS = ["/f", "/d", "/d/f", "/d/e", "/d/e/g", "/tmp/t", "/l", "/d/l", "..", ".", "/", "/etc", "/mnt", "/nope/x",
  "/d/" + "x".repeat(255), "/d/" + "y".repeat(256)];
const FILE_VALUES = ["0", "1", "4096", "5000", "1048576", "-3", "abc", "hello", "\"some words\"", "x".repeat(2000), "777", "0644"];

describe("target: hostile input (seeded random command lines)", function () {
  this.timeout(600000);
  const disk = scratchCopy(path.join(ROOT, "build/disk.img"), "system.img");
  const qemu = bootForSuite({ systemDisk: disk });

  it("every command with random bad arguments answers with a prompt, never a panic", async () => {
    const s = qemu.get();
    const commands = (await s.run("help")).split("\n").map((l) => l.trim().split(/\s+/)[0])
      .filter((c) => /^[a-z0-9]+$/.test(c));
    assert.ok(commands.length > 40, `help lists ${commands.length} commands`);
    const g = generator(SEED);
    let ran = 0;
    while (ran < 150) {
      const words = [g.pick(commands), ...Array.from({ length: g.next() % 5 }, () => g.pick(ARGUMENTS))];
      const line = words.join(" ");
      if (LEFT_OUT.test(line)) continue;
      const out = await s.run(line, 30000);
      assert.doesNotMatch(out, /KERNEL PANIC|\*\*\*/, line);
      if (process.env.HOSTILE_SHOW) console.log(`${line.slice(0, 80)} -> ${out.slice(0, 100).replace(/\n/g, " | ")}`);
      ran++;
    }
    assert.match(await s.run("echo still here"), /^still here\n$/);
  });

  it("every subcommand and option named by each command's --help, with random bad values, answers with a prompt", async () => {
    const s = qemu.get();
    const commands = (await s.run("help")).split("\n").map((l) => l.trim().split(/\s+/)[0])
      .filter((c) => /^[a-z0-9]+$/.test(c) && !LEFT_OUT.test(c));
    // the grammar from the help texts: "cmd sub", indented "  sub  ...", "a|b|c" alternatives, --options
    const grammar = new Map<string, { subs: string[]; flags: string[] }>();
    for (const c of commands) {
      const help = await s.run(`${c} --help`, 20000);
      const subs = new Set<string>();
      const flags = new Set<string>();
      for (const m of help.matchAll(new RegExp(`\\b${c} ([a-z][a-z0-9_-]+)`, "g"))) subs.add(m[1]);
      for (const m of help.matchAll(/^  ([a-z][a-z0-9_-]+)[ ,]/gm)) subs.add(m[1]);
      for (const m of help.matchAll(/(?:^|[|] *)([a-z][a-z0-9_-]+)(?= |$)/gm)) if (m[1] !== c) subs.add(m[1]);
      for (const m of help.matchAll(/--[a-z][a-z0-9-]*/g)) flags.add(m[0]);
      for (const sub of [...subs].slice(0, 12)) {
        if (LEFT_OUT.test(`${c} ${sub}`)) continue;
        for (const m of (await s.run(`${c} ${sub} --help`, 20000)).matchAll(/--[a-z][a-z0-9-]*/g)) flags.add(m[0]);
      }
      grammar.set(c, { subs: [...subs], flags: [...flags] });
    }
    const withSubs = [...grammar.values()].filter((g) => g.subs.length > 0).length;
    assert.ok(withSubs >= 10, `only ${withSubs} commands have subcommands in their help`);
    const g = generator(SEED * 104729);
    const names = [...grammar.keys()];
    let ran = 0;
    while (ran < 200) {
      const c = g.pick(names);
      const { subs, flags } = grammar.get(c)!;
      const words = [c];
      if (subs.length && g.next() % 4 !== 0) words.push(g.pick(subs));
      for (let i = g.next() % 5; i > 0; i--) {
        if (flags.length && g.next() % 2 === 0) {
          words.push(g.pick(flags));
          if (g.next() % 2) words.push(g.pick(ARGUMENTS));
        } else words.push(g.pick(ARGUMENTS));
      }
      const line = words.join(" ");
      if (LEFT_OUT.test(line) || /--wait\b/.test(line)) continue;
      const out = await s.run(line, 30000);
      assert.doesNotMatch(out, /KERNEL PANIC|\*\*\*|kernel abort|wasm trap/, line);
      ran++;
    }
    assert.match(await s.run("echo still here"), /^still here\n$/);
  });

  it("random file commands keep the disk consistent (fsctl verify, then e2fsck -fn)", async () => {
    const s = qemu.get();
    const g = generator(SEED * 7919);
    for (let i = 0; i < 150; i++) {
      const args = Array.from({ length: 1 + (g.next() % 3) }, () => (g.next() % 3 === 0 ? g.pick(FILE_VALUES) : g.pick(FILE_PATHS)));
      const line = [g.pick(FILE_COMMANDS), ...args].join(" ");
      assert.doesNotMatch(await s.run(line, 30000), /KERNEL PANIC|\*\*\*/, line);
    }
    assert.match(await s.run("fsctl verify /", 60000), /clean: no inconsistencies/);
    await powerOffAndFsck(s, disk);
  });
});
