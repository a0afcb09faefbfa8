// Mutation check for the crash harness (issue 23, item 1): plants the classic journaling bugs
// one at a time in a COPY of the sources (the worktree is never touched), runs the Node
// crash-state enumeration there (tests/unit/fs/crash-states.test.ts: volatile write cache,
// dropped and torn writes, strict sync credit), and reports which state and which check
// caught each. A mutant that survives is a hole in the harness. Not part of `make test-unit`
// (each mutant recompiles the kernel for Node); `make mutants` runs it:
//
//   node_modules/.bin/tsx tests/unit/fs/mutate.ts             all mutations
//   node_modules/.bin/tsx tests/unit/fs/mutate.ts revoke      the ones whose name contains "revoke"
//   node_modules/.bin/tsx tests/unit/fs/mutate.ts --json      one JSON line per mutant as well
//   ... --no-baseline                                          skip the run on the unmutated sources
//   ... --qemu         also judge each mutant in QEMU: the copy's kernel is built (toolchain/
//                      build.ts, 4-9 min on the loaded machine) and tests/crash/short.ts (this
//                      tree's harness) runs it: every crash state of three small runs the mutant
//                      writes in QEMU (judged on Node by this tree, one booted), then cache-loss
//                      power cuts (SIGKILL, writes after the last completed flush lost) and QMP
//                      power cuts, each on a fresh copy of the pristine crash image; the
//                      unmutated baseline runs it on this tree's build/esp.img (make image first)
//   ... --no-node      skip the Node crash states (with --qemu: the QEMU column only)
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

interface Edit { file: string; from: string; to: string }
/** alsoTests: judges besides the crash states, where those cannot tell the mutant apart (said why). */
interface Mutation { name: string; edits: Edit[]; alsoTests?: string[] }

const COMMIT = "kernel/fs/jbd2/commit.ts";
const MUTATIONS: Mutation[] = [
  { name: "no flush after the commit block", edits: [{ file: COMMIT,
    from: "    pos = j.next(pos);\n    // 5. durable\n    if (r == 0) r = j.device.flush();", to: "    pos = j.next(pos);" }] },
  { name: "no flush before the commit block", edits: [{ file: COMMIT,
    from: "  if (r == 0) r = j.device.flush();\n  // 4. the commit block", to: "  // 4. the commit block" }] },
  { name: "commit block written before the log blocks", edits: [
    // the copies of the metadata are held back and written after the commit block (and its flush)
    { file: COMMIT, from: "  const csum = j.csumV2or3;\n", to: "  const csum = j.csumV2or3;\n  const lateAt = new Array<u32>(0);\n  const lateBuf = new Array<usize>(0);\n" },
    { file: COMMIT, from: "      r = j.writeLog(pos, copy);\n      if (r < 0) break;",
      to: "      const late = heap.alloc(bs);\n      memory.copy(late, copy, bs);\n      lateAt.push(pos);\n      lateBuf.push(late);\n      if (r < 0) break;" },
    { file: COMMIT, from: "    // 5. durable\n    if (r == 0) r = j.device.flush();",
      to: "    if (r == 0) r = j.device.flush();\n    for (let q = 0; q < lateAt.length; q++) {\n      if (r == 0) r = j.writeLog(lateAt[q], lateBuf[q]);\n      heap.free(lateBuf[q]);\n    }\n    if (r == 0) r = j.device.flush();" },
  ] },
  { name: "ordered-mode data written after the commit", edits: [
    { file: COMMIT, from: "  // 1. ordered data first\n  let r = writePendingHome(j);\n  if (r < 0) return r;", to: "  let r: i32 = 0;" },
    { file: COMMIT, from: "  j.stats.commits++;", to: "  j.stats.commits++;\n  writePendingHome(j);" },
  ] },
  { name: "a revoke record ignored at replay", edits: [{ file: "kernel/fs/jbd2/replay.ts",
    from: "if (state.revoked.has(target) && <i32>(revokedBy - tid) >= 0) {", to: "if (false && state.revoked.has(target) && <i32>(revokedBy - tid) >= 0) {" }],
    // no crash state of SIS's own journals can show it: a block logged since the last checkpoint
    // is journaled again when rewritten, even as file data (journal.ts isJournaled), so a newer
    // copy of a revoked block always follows the old one, and one not reused is free. Journals
    // written by others (debugfs, Linux) rely on the revoke: the jbd2 replay test judges those.
    alsoTests: ["tests/unit/fs/jbd2.test.ts"] },
  { name: "a checksum not updated (the commit block's)", edits: [{ file: COMMIT,
    from: "    if (csum) setBe32(buf + COMMIT_CHKSUM, blockChecksum(j.csumSeed, buf, bs, COMMIT_CHKSUM));\n", to: "" }] },
  { name: "the superblock's journal start not advanced", edits: [
    // the journal superblock gets its tail once (the first commit) and never again
    { file: COMMIT, from: "import { Journal } from \"./journal\";", to: "import { Journal } from \"./journal\";\nlet tailWritten = false;" },
    { file: COMMIT, from: "    j.sequence = tid;\n    r = j.writeSuperblock();", to: "    j.sequence = tid;\n    if (!tailWritten) r = j.writeSuperblock();\n    tailWritten = true;" },
    { file: COMMIT, from: "    j.sequence = j.nextTid;\n    r = j.writeSuperblock();\n    if (r == 0) r = j.device.flush();", to: "    j.sequence = j.nextTid;" },
  ] },
  { name: "a freed block reused before its transaction commits", edits: [{ file: "kernel/fs/ext4/balloc.ts",
    from: "return j == null || !j.freedInTx.has(block);", to: "return true;" }] },
];

const TEST = "tests/unit/fs/crash-states.test.ts";
/** Each mutant's mocha output, for a closer look. */
const LOGS = path.join(ROOT, "build/fs-mutants");
const args = process.argv.slice(2);
const json = args.includes("--json");
const qemu = args.includes("--qemu");
const node = !args.includes("--no-node");
if (!qemu && !node) {
  console.error("--no-node leaves nothing to run without --qemu");
  process.exit(2);
}
if (qemu && !fs.existsSync(path.join(ROOT, "build/esp.img"))) {
  console.error("--qemu needs build/esp.img and build/disk.img (the baseline and the system disk): run 'make image' first");
  process.exit(2);
}
const wanted = args.filter((a) => !a.startsWith("--"));
const selected = MUTATIONS.filter((m) => wanted.length === 0 || wanted.some((w) => m.name.includes(w)));
if (selected.length === 0) {
  console.error(`no mutation matches ${wanted.join(" ")}; names:\n  ${MUTATIONS.map((m) => m.name).join("\n  ")}`);
  process.exit(2);
}

/** The mutated copies still on disk, removed at exit (process.exit skips the finally blocks). */
const copies = new Set<string>();
process.on("exit", () => {
  for (const d of copies) fs.rmSync(d, { recursive: true, force: true });
});

/** A copy of the tracked sources (plus the crash base image) in a fresh directory. */
function copyTree(): string {
  const dir = fs.mkdtempSync(path.join(fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "sis-fs-mutant-"));
  copies.add(dir);
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT }).toString().split("\0").filter(Boolean);
  for (const f of files) {
    const from = path.join(ROOT, f);
    if (!fs.existsSync(from) || fs.lstatSync(from).isSymbolicLink()) continue;
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, f));
  }
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, "node_modules")), path.join(dir, "node_modules"));
  // the images the tests would otherwise build again (mkfs)
  for (const sub of ["build/crash", "build/fs-images"]) {
    const from = path.join(ROOT, sub);
    if (!fs.existsSync(from)) continue;
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
    for (const f of fs.readdirSync(from)) if (f.endsWith(".img")) fs.copyFileSync(path.join(from, f), path.join(dir, sub, f));
  }
  // what the image build would fetch or install again (busybox from the apt archive, porffor)
  if (qemu) {
    for (const sub of ["build/busybox", "build/porffor"]) {
      if (fs.existsSync(path.join(ROOT, sub))) fs.cpSync(path.join(ROOT, sub), path.join(dir, sub), { recursive: true, verbatimSymlinks: true });
    }
  }
  return dir;
}

interface QemuJudgement { runs: number; failed: number; checks: string; harnessOnly: boolean; failures: { name: string; checks: string[]; problem: string }[] }

/** tests/crash/short.ts of THIS tree on the kernel image `esp`; null and a message when it did not run. */
function judgeInQemu(esp: string, name: string): { j: QemuJudgement | null; out: string } {
  const r = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), ["tests/crash/short.ts", "--esp", esp, "--json",
    "--failures", path.join(LOGS, `qemu-${name}`)], { cwd: ROOT, encoding: "utf8", timeout: 1800000, env: process.env });
  const out = `${r.stdout}${r.stderr}`;
  const last = out.trim().split("\n").reverse().find((l) => l.startsWith("{\"runs\""));
  return { j: last && !r.error ? JSON.parse(last) : null, out };
}

/** The kernel image of a mutated copy; throws with the build's output when it does not build. */
function buildImage(dir: string): string {
  const r = spawnSync(path.join(dir, "node_modules/.bin/tsx"), ["toolchain/build.ts"], { cwd: dir, encoding: "utf8", timeout: 1800000, env: process.env });
  if (r.status !== 0) throw new Error(`the mutant's kernel did not build (${r.error ?? `exit ${r.status}`}):\n${`${r.stdout}${r.stderr}`.slice(-3000)}`);
  return path.join(dir, "build/esp.img");
}

/**
 * Every failing test of the run and, summed over them, the states each check failed:
 * "promise broken in 5 states (flush 3, torn 2); fsctl verify in 2 states (subset 2)".
 */
function judge(out: string): { tests: string[]; checks: string; detail: string } {
  const tests = [...out.matchAll(/^\s+\d+\) .*\n\s+(.*):$/gm)].map((m) => m[1].trim().replace(/: every flush interval.*$/, ""));
  const lines = [...out.matchAll(/AssertionError[^:]*: ([^\n]*)/g)].map((m) => m[1]);
  const sum = new Map<string, Map<string, number>>();
  for (const line of lines) {
    for (const m of line.matchAll(/(?:^|; |failed: )([a-z0-9 -]+): (\d+) \(([^)]*)\)/g)) {
      const kinds = sum.get(m[1]) ?? new Map<string, number>();
      for (const k of m[3].split(", ")) {
        const [kind, n] = k.split(" ");
        kinds.set(kind, (kinds.get(kind) ?? 0) + Number(n));
      }
      sum.set(m[1], kinds);
    }
  }
  const checks = [...sum].map(([c, kinds]) => `${c} in ${[...kinds.values()].reduce((a, b) => a + b, 0)} states (` +
    `${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")})`).join("; ");
  const other = lines.filter((l) => !/ states failed: /.test(l));
  return { tests, checks: [checks, ...other.map((l) => l.slice(0, 200))].filter(Boolean).join("; ") || "setup", detail: lines.join("\n").slice(0, 1500) };
}

// the unmutated tree first: the judge must pass before a failure can mean anything
const baseline: Mutation = { name: "(none: the sources as they are)", edits: [] };
let missed = 0;
const rows: string[] = [];
for (const m of args.includes("--no-baseline") ? selected : [baseline, ...selected]) {
  const dir = copyTree();
  const started = Date.now();
  const logName = m === baseline ? "baseline" : m.name.replace(/[^a-z0-9]+/gi, "-");
  const result: Record<string, unknown> = { mutant: m.name };
  let caughtAnywhere = false;
  try {
    for (const e of m.edits) {
      const file = path.join(dir, e.file);
      const text = fs.readFileSync(file, "utf8");
      if (!text.includes(e.from)) throw new Error(`mutation '${m.name}': text not found in ${e.file}:\n${e.from}`);
      fs.writeFileSync(file, text.replace(e.from, e.to));
    }
    fs.mkdirSync(LOGS, { recursive: true });
    if (node) {
      const r = spawnSync(path.join(dir, "node_modules/.bin/mocha"), [TEST, ...(m.alsoTests ?? [])], { cwd: dir, encoding: "utf8", timeout: 1800000,
        env: process.env });
      const out = `${r.stdout}${r.stderr}`;
      fs.writeFileSync(path.join(LOGS, `${logName}.log`), out);
      if (r.error || (r.status !== 0 && !/\d+ failing/.test(out))) {
        console.error(`mutant '${m.name}': the test did not run (${r.error ?? `exit ${r.status}`}):\n${out.slice(-2000)}`);
        process.exit(2);
      }
      const seconds = Math.round((Date.now() - started) / 1000);
      if (m === baseline) {
        if (r.status !== 0) {
          const j = judge(out);
          console.error(`the unmutated sources fail ${TEST} (${seconds} s): ${j.tests.join(", ")}: ${j.detail}`);
          process.exit(2);
        }
        console.log(`baseline passes ${TEST} (${seconds} s)`);
      } else if (r.status === 0) {
        console.log(`MISSED  ${m.name} (Node, ${seconds} s)`);
        Object.assign(result, { caught: false, seconds });
      } else {
        const j = judge(out);
        caughtAnywhere = true;
        console.log(`caught  ${m.name} (Node, ${seconds} s)\n        in: ${j.tests.join(", ")}\n        by: ${j.checks}`);
        Object.assign(result, { caught: true, seconds, ...j });
      }
    }
    if (qemu) {
      const t = Date.now();
      const esp = m === baseline ? path.join(ROOT, "build/esp.img") : buildImage(dir);
      const builtIn = Math.round((Date.now() - t) / 1000);
      const { j, out } = judgeInQemu(esp, logName);
      fs.writeFileSync(path.join(LOGS, `qemu-${logName}.log`), out);
      const seconds = Math.round((Date.now() - t) / 1000);
      if (!j || (j.failed > 0 && j.harnessOnly)) {
        console.error(`mutant '${m.name}': the short QEMU mode did not run through (see ${path.relative(process.cwd(), path.join(LOGS, `qemu-${logName}.log`))}):\n${out.slice(-2000)}`);
        process.exit(2);
      }
      if (m === baseline) {
        if (j.failed > 0) {
          console.error(`the unmutated kernel fails the short QEMU mode: ${j.checks}`);
          process.exit(2);
        }
        console.log(`baseline passes tests/crash/short.ts in QEMU (${j.runs} runs, ${seconds} s)`);
      } else {
        const caught = j.failed > 0;
        if (caught) caughtAnywhere = true;
        console.log(`${caught ? "caught " : "MISSED "} ${m.name} (QEMU: ${j.runs} runs, build ${builtIn} s, ${seconds} s in all)` +
          (caught ? `\n        by: ${j.failed} runs failed: ${j.checks}` : ""));
        Object.assign(result, { qemu: { caught, runs: j.runs, failed: j.failed, checks: j.checks, seconds, failures: j.failures } });
        rows.push(`| ${m.name} | ${caught ? `yes: ${j.failed} of ${j.runs} runs, ${j.checks}` : `no (${j.runs} runs)`} |`);
      }
    }
    if (m !== baseline) {
      if (!caughtAnywhere) missed++;
      if (json) console.log(JSON.stringify(result));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    copies.delete(dir);
  }
}
if (rows.length) console.log(`\nQEMU column (tests/crash/short.ts):\n| planted bug | caught in QEMU |\n| --- | --- |\n${rows.join("\n")}`);
process.exit(missed ? 1 : 0);
